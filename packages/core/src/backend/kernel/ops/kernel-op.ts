/**
 * How a kernel backend describes one operator it runs: which nodes it claims, and how it turns a
 * kernel call into calls of the C++ kernels (through a KernelBinding: the Node addon or the wasm
 * module). Shapes are checked here, in TypeScript, by the operator's own shape rules before any
 * buffer reaches C++ code.
 */
import type { Attributes, DataType, KernelCall, Node, Tensor, ValueMeta } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { ElemType, type KernelName } from '../kernels.js';

export interface KernelOp {
  /** `OpType` for ai.onnx, `domain::OpType` otherwise. */
  readonly types: readonly string[];
  supports(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number): boolean;
  run(call: KernelCall, binding: KernelBinding): Promise<Tensor[]>;
  /** Converts a weight only `node` uses into the form run() reads (Backend.prepareWeight). */
  prepareWeight?(
    node: Node,
    input: number,
    weight: Tensor,
    kept: boolean,
    binding: KernelBinding,
  ): Tensor | undefined;
  /** The input whose weight run() can take a block of rows at a time (KernelCall `sliced`). */
  slicedWeight?(node: Node): number | undefined;
  /** run() writes its output into KernelCall `placed` when given (outputTensor and elementwiseOutput do). */
  readonly placesOutputs?: boolean;
  /**
   * run() reads no tensor data in JavaScript (parameters follow from shapes and attributes, and
   * from constant inputs only where executor/replay.ts's READ_FROM says so): Backend.replays.
   */
  readonly replayable?: boolean;
}

/** Below this many elements a kernel runs on the calling thread (cheaper than a thread hop). */
const SYNC_LIMIT = 1 << 15;

const ids = new WeakMap<KernelBinding, Map<string, number>>();

/** Kernel ids by name, from the binding's own list. */
function kernelIds(binding: KernelBinding): Map<string, number> {
  let m = ids.get(binding);
  if (!m) {
    m = new Map(binding.kernelNames().map((k, i) => [k, i]));
    ids.set(binding, m);
  }
  return m;
}

/** Parameter arrays by length, reused call after call: bindings read them during the call only. */
const paramArrays: Float64Array[] = [];

function paramsOf(params: readonly number[]): Float64Array {
  let p = paramArrays[params.length];
  if (!p) {
    p = new Float64Array(params.length);
    paramArrays[params.length] = p;
  }
  for (let i = 0; i < params.length; i++) p[i] = params[i];
  return p;
}

/** Runs a kernel, off the JavaScript thread when the work is large enough to be worth it. */
export function runKernel(
  binding: KernelBinding,
  name: KernelName,
  work: number,
  buffers: readonly ArrayBufferView[],
  params: readonly number[],
): Promise<void> {
  const p = paramsOf(params);
  const id = kernelIds(binding).get(name);
  if (id === undefined) throw new Error(`the ${binding.name} kernels lack ${name}; rebuild them`);
  if (work < SYNC_LIMIT) {
    binding.runSync(id, buffers, p);
    return Promise.resolve();
  }
  return binding.run(id, buffers, p);
}

/** A node's last shape inference: what it was asked and what it answered. */
interface Inferred {
  readonly inputs: readonly (ValueMeta | undefined)[];
  readonly attrs: Attributes;
  readonly opset: number;
  readonly outputs: readonly ValueMeta[];
}

/**
 * Each node's last shape inference: a model's calls repeat their input shapes run after run, and
 * the shape rules cost more than comparing the shapes (microseconds per call for a convolution).
 */
const lastInferred = new WeakMap<Node, Inferred>();

const sameDims = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean => {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const sameMetas = (a: readonly (ValueMeta | undefined)[], b: readonly (ValueMeta | undefined)[]) =>
  a.length === b.length &&
  a.every(
    (m, i) =>
      m === b[i] ||
      (m !== undefined && b[i] !== undefined && m.type === b[i]!.type && sameDims(m.dims, b[i]!.dims)),
  );

/**
 * Static output dims from the operator's shape rules on the inputs' types and dims (tensor metas
 * only: nothing the rules would read from values), or reused from the node's last call when those
 * were the same.
 */
export function inferOutputDims(
  call: KernelCall,
  inputs: readonly (ValueMeta | undefined)[],
  index = 0,
): readonly number[] {
  let last = lastInferred.get(call.node);
  if (!last || last.attrs !== call.attrs || last.opset !== call.opset || !sameMetas(last.inputs, inputs)) {
    const outputs = call.op.infer({
      inputs,
      attrs: call.attrs,
      opset: call.opset,
      outputCount: call.outputCount,
      node: call.node,
    });
    last = { inputs, attrs: call.attrs, opset: call.opset, outputs };
    lastInferred.set(call.node, last);
  }
  const dims = last.outputs[index]?.dims;
  if (!dims || dims.some((d) => typeof d !== 'number')) {
    throw new Error(`output ${index} has no static shape`);
  }
  return dims as readonly number[];
}

/** What `derived` keeps per node: a value and the attributes and dims it was made from. */
export interface Derived<T> {
  readonly attrs: Attributes;
  readonly dims: readonly (readonly number[])[];
  readonly value: T;
}

/**
 * A value run() derives from a node's attributes and input dims (kernel parameters), made by `make`
 * only when they differ from the node's last call: a model's calls repeat their shapes run after run.
 */
export function derived<T>(
  cache: WeakMap<Node, Derived<T>>,
  call: KernelCall,
  dims: readonly (readonly number[])[],
  make: () => T,
): T {
  const last = cache.get(call.node);
  if (
    last &&
    last.attrs === call.attrs &&
    last.dims.length === dims.length &&
    last.dims.every((d, i) => sameDims(d, dims[i]))
  ) {
    return last.value;
  }
  const value = make();
  cache.set(call.node, { attrs: call.attrs, dims, value });
  return value;
}

/** Output dims from the operator's shape rules on the actual inputs. */
export function outputDims(call: KernelCall, index = 0): readonly number[] {
  return inferOutputDims(
    call,
    call.inputs.map((t) => (t ? { type: t.type, dims: t.dims } : undefined)),
    index,
  );
}

/** A float16 tensor converted to a new float32 tensor in the binding's memory (f16_to_f32). */
export async function float16ToFloat32(binding: KernelBinding, x: Tensor): Promise<Tensor> {
  const y = binding.allocTensor('float32', x.dims);
  await runKernel(binding, 'f16_to_f32', x.size, [x.data as Uint16Array, y.data as Float32Array], [x.size]);
  return y;
}

/**
 * A float16 weight as float32, converted now on the calling thread (for Backend.prepareWeight: small
 * weights such as biases, which kernels read in float32), in JavaScript memory when the binding
 * keeps prepared weights there.
 */
export function float32Weight(binding: KernelBinding, w: Tensor): Tensor {
  const y = binding.allocTensor('float32', w.dims);
  // Work 0: runs synchronously.
  runKernel(binding, 'f16_to_f32', 0, [w.data as Uint16Array, y.data as Float32Array], [w.size]);
  return binding.toJavaScript ? binding.toJavaScript(y) : y;
}

/** A float32 tensor converted to a new float16 tensor in the binding's memory (f32_to_f16). */
export async function float32ToFloat16(binding: KernelBinding, x: Tensor): Promise<Tensor> {
  const y = binding.allocTensor('float16', x.dims);
  await runKernel(binding, 'f32_to_f16', x.size, [x.data as Float32Array, y.data as Uint16Array], [x.size]);
  return y;
}

/**
 * An output tensor in the binding's memory: float32, or float16 where the graph computes in float16.
 * With `call`: where the engine placed the call's first output (KernelCall `placed`), if its type
 * and dims are these.
 */
export function outputTensor(
  binding: KernelBinding,
  dims: readonly number[],
  type: 'float32' | 'float16' = 'float32',
  call?: KernelCall,
): Tensor {
  const placed = call?.placed?.[0];
  if (placed && placed.type === type && sameDims(placed.dims, dims)) return placed;
  return binding.allocTensor(type, dims);
}

/**
 * The output of an elementwise kernel: where the engine placed it (KernelCall `placed`), else the
 * first of `candidates` inputs donated to it (KernelCall donated) that has the output's shape,
 * written in place, else a new tensor.
 */
export function elementwiseOutput(
  call: KernelCall,
  binding: KernelBinding,
  dims: readonly number[],
  candidates: readonly number[],
  type: 'float32' | 'float16' = 'float32',
): Tensor {
  if (!call.placed?.[0]) {
    for (const k of candidates) {
      const t = call.inputs[k];
      if (call.donated?.[k] && t?.type === type && sameDims(t.dims, dims)) return t;
    }
  }
  return outputTensor(binding, dims, type, call);
}

/**
 * Whether types are those of fp16 arithmetic (float16 everywhere the float32 kernel takes float32),
 * which the kernels read and write converting as they go.
 */
export const allFloat16 = (types: readonly (DataType | undefined)[]): boolean =>
  types[0] === 'float16' && types.every((t) => t === undefined || t === 'float16');

/** float32, or float16 (fp16 arithmetic): what kernels with an element-type parameter read. */
export const isFloat = (t: DataType | undefined): t is 'float32' | 'float16' =>
  t === 'float32' || t === 'float16';

export const allFloat32 = (types: readonly (DataType | undefined)[]): boolean =>
  types.every((t) => t === undefined || t === 'float32');

/** The kernels' trailing element-type parameter: given for float16 only (float32 is the default). */
export const elemParam = (x: Tensor): number[] => (x.type === 'float16' ? [ElemType.float16] : []);
