/**
 * The native backend: claims the nodes its kernels cover (float32 today), runs them on native
 * buffers, and leaves everything else to the reference backend.
 */
import type { Backend, BackendOptions, DataType, KernelCall, Node, Tensor } from '@onnxstream/core';
import { binding, type NativeBinding, type NativeInfo } from './binding.js';
import { KERNELS } from './kernels.js';
import { isPackedWeight } from './ops/gemm.js';
import { NATIVE_OPS } from './ops/index.js';
import type { NativeOp } from './ops/native-op.js';

const byType = new Map<string, NativeOp>();
for (const op of NATIVE_OPS) for (const t of op.types) byType.set(t, op);

const keyOf = (node: Node) => (node.domain ? `${node.domain}::${node.opType}` : node.opType);

let checked: NativeBinding | undefined;

/** The addon, after checking that it has every kernel this package calls. */
function native(): NativeBinding {
  if (!checked) {
    const b = binding();
    const names = new Set(b.info().kernels);
    const missing = KERNELS.filter((k) => !names.has(k));
    if (missing.length) throw new Error(`the native addon lacks kernels ${missing.join(', ')}; rebuild it`);
    checked = b;
  }
  return checked;
}

export const nativeBackend: Backend = {
  name: 'native',
  init(options: BackendOptions) {
    const b = native();
    if (options.threads !== undefined) b.setThreads(options.threads);
  },
  supports(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number) {
    return byType.get(keyOf(node))?.supports(node, inputTypes, opset) ?? false;
  },
  run(call: KernelCall): Promise<Tensor[]> {
    const op = byType.get(keyOf(call.node));
    if (!op) throw new Error(`the native backend has no kernel for ${keyOf(call.node)}`);
    return op.run(call, native());
  },
  prepareWeight(node: Node, input: number, weight: Tensor): Tensor | undefined {
    return byType.get(keyOf(node))?.prepareWeight?.(node, input, weight, native());
  },
  isPrepared: (t: Tensor) => isPackedWeight(t),
};

/** Whether the addon loads here; the reason when it does not. */
export function nativeAvailability(): { available: true } | { available: false; reason: string } {
  try {
    native();
    return { available: true };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

/** ISA in use, threads and native memory counters. */
export function nativeInfo(): NativeInfo {
  return native().info();
}

/** Forces an ISA (tests and benchmarks compare paths): 'scalar', 'avx2', 'avx512', 'neon'. */
export function useIsa(name: string): void {
  native().setIsa(name);
}

/**
 * Bytes of freed native blocks kept for reuse at most (default 64 MiB, or ONNXSTREAM_BUFFER_CACHE_MB;
 * never more than 1.5 times the high-water mark of live bytes minus the live bytes): a fresh block
 * costs a page fault per page, a reused one none. 0 returns every freed block at once.
 */
export function setBufferCache(bytes: number): void {
  native().setBufferCache(bytes);
}
