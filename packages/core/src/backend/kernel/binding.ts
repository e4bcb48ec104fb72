/**
 * What the kernel operators (ops/) need from a compiled kernel library: the C++ kernels of
 * packages/native/csrc, reached through the Node addon (@onnxstream/native) or the WebAssembly
 * module (@onnxstream/wasm). Kernels take typed-array views and float64 parameters; every size is
 * checked on the C++ side before memory is touched.
 */
import type { DataType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface KernelBinding {
  /** Names the kernels' messages and packed weights by ('native', 'wasm'). */
  readonly name: string;
  /** Kernel names in id order (csrc/api/kernel-list.h). */
  kernelNames(): readonly string[];
  /**
   * A tensor of `type` and `dims` in memory the kernels address directly (native memory, the wasm
   * heap); `dispose()` frees it at once. Outputs are always allocated here. `lasting`: the tensor is
   * kept long (a weight a provider keeps), so a binding that reuses freed blocks larger than asked
   * for should give it memory of its own size instead.
   */
  allocTensor(type: DataType, dims: readonly number[], lasting?: boolean): Tensor;
  /**
   * Runs kernel `kernel`, possibly off the JavaScript thread. Views not from allocTensor (weights and
   * feeds in JavaScript memory) are inputs only: a binding with memory of its own copies them in.
   * `params` is read before the call returns: the caller may reuse it for the next call.
   */
  run(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): Promise<void>;
  /** Runs kernel `kernel` on the calling thread, for small work. */
  runSync(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): void;
  /**
   * Checks a sequence of kernel calls once (a replayed run, executor/replay.ts), to run it again and
   * again over new buffers, one call after another, possibly off the JavaScript thread. Bases are
   * numbered the open ones first (views given to each run, of the byte lengths `openBytes` lists:
   * a replay's arena, outputs and feeds), then `fixed` (views the program keeps: weights and
   * constants). `code`, per call: the kernel id, the buffer count, the parameter count and the first
   * parameter's index in `params`, then per buffer the index of its base, its byte offset there and
   * its byte count. Absent: the calls are made one by one.
   */
  prepareProgram?(
    fixed: readonly ArrayBufferView[],
    openBytes: readonly number[],
    code: Float64Array,
    params: Float64Array,
  ): KernelProgram;
  /**
   * Moves a tensor from allocTensor into JavaScript memory and frees the original. When present,
   * prepared weights (packed GEMM panels) are handed to the weights provider in that form, so that a
   * caching provider does not hold them in the binding's memory.
   */
  toJavaScript?(t: Tensor): Tensor;
}

/** A sequence of kernel calls checked once (KernelBinding.prepareProgram). */
export interface KernelProgram {
  /** Runs the calls over `open`: one view per open base, each of its prepared byte length. */
  run(open: readonly ArrayBufferView[]): Promise<void>;
}

/** What a compiled kernel library reports about itself (extended by each backend's info()). */
export interface KernelLibraryInfo {
  /** The kernels in use. */
  readonly isa: string;
  /** Every ISA this build and CPU can run. */
  readonly isas: readonly string[];
  readonly threads: number;
  /** Kernel names in id order (csrc/api/kernel-list.h). */
  readonly kernels: readonly string[];
  /** Tensor memory the library holds now, and its peak since resetPeak(). */
  readonly bytesInUse: number;
  readonly bytesPeak: number;
}
