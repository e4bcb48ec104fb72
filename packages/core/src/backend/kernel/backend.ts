/**
 * A Backend over a KernelBinding: claims the nodes the kernel operators (ops/) cover, runs them
 * through the binding, and leaves everything else to the reference backend. The native and the wasm
 * backends are this, each with its own binding.
 */
import type { Node } from '../../graph/graph.js';
import type { DataType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Backend, BackendOptions, KernelCall } from '../backend.js';
import type { KernelBinding } from './binding.js';
import { KERNELS, QuantType } from './kernels.js';
import { packedBy } from './ops/gemm.js';
import { KERNEL_OPS } from './ops/index.js';
import { float16ToFloat32, type KernelOp, runKernel } from './ops/kernel-op.js';

const byType = new Map<string, KernelOp>();
for (const op of KERNEL_OPS) for (const t of op.types) byType.set(t, op);

const keyOf = (node: Node) => (node.domain ? `${node.domain}::${node.opType}` : node.opType);

/** The kernel operator that runs `node` on a kernel backend, if any. */
export function kernelOpFor(node: Node): KernelOp | undefined {
  return byType.get(keyOf(node));
}

/** Throws when `binding` lacks a kernel the operators call (a stale build). */
export function checkKernels(binding: KernelBinding): void {
  const names = new Set(binding.kernelNames());
  const missing = KERNELS.filter((k) => !names.has(k));
  if (missing.length) throw new Error(`the ${binding.name} kernels lack ${missing.join(', ')}; rebuild them`);
}

export interface KernelBackendOptions {
  /** The backend's name ('native', 'wasm'). */
  readonly name: string;
  /** The binding, loaded and checked; throws the reason it is unavailable. Called often: cache it. */
  binding(): KernelBinding;
  /** Backend.init: loads the binding (throwing why it cannot) and applies the options. Default: binding(). */
  init?(options: BackendOptions): Promise<void> | void;
  /** Backend.trim. */
  trim?(level?: number): void;
  /** Backend.cacheLevel. */
  cacheLevel?(): number;
  /** Backend.holdCacheLean. */
  holdCacheLean?(on: boolean): void;
  dispose?(): Promise<void> | void;
  /** Whether weights are packed into GEMM panels once per run (Backend.prepareWeight); default true. */
  readonly prepareWeights?: boolean;
}

/** A backend running the kernel operators through `options.binding()`. */
export function createKernelBackend(options: KernelBackendOptions): Backend {
  const { name } = options;
  const prepare = options.prepareWeights !== false;
  return {
    name,
    init(o: BackendOptions) {
      if (options.init) return options.init(o);
      options.binding();
    },
    supports(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number) {
      return kernelOpFor(node)?.supports(node, inputTypes, opset) ?? false;
    },
    slicedWeight(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number) {
      const op = kernelOpFor(node);
      return op?.supports(node, inputTypes, opset) ? op.slicedWeight?.(node) : undefined;
    },
    run(call: KernelCall): Promise<Tensor[]> {
      const op = kernelOpFor(call.node);
      if (!op) throw new Error(`the ${name} backend has no kernel for ${keyOf(call.node)}`);
      const binding = options.binding();
      return op.run(call, call.recorder ? call.recorder.wrap(binding) : binding);
    },
    allocate: (type: DataType, dims: readonly number[]) => options.binding().allocTensor(type, dims),
    placesOutputs: (node: Node) => kernelOpFor(node)?.placesOutputs === true,
    replays: (node: Node) => kernelOpFor(node)?.replayable === true,
    prepareWeight: prepare
      ? (node: Node, input: number, weight: Tensor, kept = true): Tensor | undefined =>
          kernelOpFor(node)?.prepareWeight?.(node, input, weight, kept, options.binding())
      : undefined,
    convertWeight: (weight: Tensor, to: DataType) => convertWeight(options.binding(), weight, to),
    // Packed by this backend's binding: panels follow the register tile of its build and ISA.
    isPrepared(t: Tensor) {
      const by = packedBy(t);
      return by !== undefined && by === options.binding().name;
    },
    trim: options.trim ? (level?: number) => options.trim?.(level) : undefined,
    cacheLevel: options.cacheLevel ? () => options.cacheLevel?.() ?? 0 : undefined,
    holdCacheLean: options.holdCacheLean ? (on: boolean) => options.holdCacheLean?.(on) : undefined,
    dispose: options.dispose ? () => options.dispose?.() : undefined,
  };
}

/**
 * A float16 or quantised uint8 weight as float32 in the binding's memory, converted by its SIMD
 * kernels. Not for bindings whose memory must stay small (the wasm heap): they convert in JavaScript.
 */
async function convertWeight(
  binding: KernelBinding,
  weight: Tensor,
  to: DataType,
): Promise<Tensor | undefined> {
  if (to !== 'float32' || binding.toJavaScript || weight.size === 0) return undefined;
  if (weight.type === 'float16') return float16ToFloat32(binding, weight);
  if (weight.type === 'uint8' && weight.quant) {
    const y = binding.allocTensor('float32', weight.dims);
    const { scale, zeroPoint } = weight.quant;
    await runKernel(
      binding,
      'dequantize_8bit',
      weight.size,
      [weight.data as Uint8Array, y.data as Float32Array],
      [QuantType.uint8, weight.size, scale, zeroPoint],
    );
    return y;
  }
  return undefined;
}
