/**
 * How the native backend describes one operator it runs: which nodes it claims, and how it turns a
 * kernel call into native kernel calls. Shapes are checked here, in TypeScript, by the operator's
 * own shape rules before any buffer reaches native code.
 */
import type { DataType, KernelCall, Node, Tensor } from '@onnxstream/core';
import type { NativeBinding } from '../binding.js';
import type { KernelName } from '../kernels.js';
import { nativeTensor } from '../memory.js';

export interface NativeOp {
  /** `OpType` for ai.onnx, `domain::OpType` otherwise. */
  readonly types: readonly string[];
  supports(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number): boolean;
  run(call: KernelCall, native: NativeBinding): Promise<Tensor[]>;
  /** Converts a weight only `node` uses into the form run() reads (Backend.prepareWeight). */
  prepareWeight?(node: Node, input: number, weight: Tensor, native: NativeBinding): Tensor | undefined;
}

/** Below this many elements a kernel runs on the calling thread (cheaper than a thread hop). */
const SYNC_LIMIT = 1 << 15;

const ids = new WeakMap<NativeBinding, Map<string, number>>();

/** Kernel ids by name, from the addon's own list. */
function kernelIds(native: NativeBinding): Map<string, number> {
  let m = ids.get(native);
  if (!m) {
    m = new Map(native.info().kernels.map((k, i) => [k, i]));
    ids.set(native, m);
  }
  return m;
}

/** Runs a kernel, off the JavaScript thread when the work is large enough to be worth it. */
export function runKernel(
  native: NativeBinding,
  name: KernelName,
  work: number,
  buffers: readonly ArrayBufferView[],
  params: readonly number[],
): Promise<void> {
  const p = Float64Array.from(params);
  const id = kernelIds(native).get(name)!;
  if (work < SYNC_LIMIT) {
    native.runSync(id, buffers, p);
    return Promise.resolve();
  }
  return native.run(id, buffers, p);
}

/** Output dims from the operator's shape rules on the actual inputs. */
export function outputDims(call: KernelCall, index = 0): number[] {
  const metas = call.inputs.map((t) => (t ? { type: t.type, dims: t.dims } : undefined));
  const out = call.op.infer({
    inputs: metas,
    attrs: call.attrs,
    opset: call.opset,
    outputCount: call.outputCount,
    node: call.node,
  });
  const dims = out[index]?.dims;
  if (!dims || dims.some((d) => typeof d !== 'number')) {
    throw new Error(`output ${index} has no static shape`);
  }
  return dims as number[];
}

/** A float32 output tensor in native memory. */
export function outputTensor(native: NativeBinding, dims: readonly number[]): Tensor {
  return nativeTensor(native, 'float32', dims);
}

export const allFloat32 = (types: readonly (DataType | undefined)[]): boolean =>
  types.every((t) => t === undefined || t === 'float32');
