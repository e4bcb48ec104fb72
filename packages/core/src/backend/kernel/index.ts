/**
 * `@onnxstream/core/kernel`: the operator layer shared by the backends that run the C++ kernels of
 * packages/native/csrc (@onnxstream/native through its Node addon, @onnxstream/wasm through
 * emscripten builds). A backend supplies a KernelBinding (allocate, run a kernel by id) and gets a
 * Backend from createKernelBackend.
 */
export { checkKernels, createKernelBackend, type KernelBackendOptions, kernelOpFor } from './backend.js';
export type { KernelBinding, KernelLibraryInfo, KernelProgram } from './binding.js';
export {
  BinaryOp,
  CoordMode,
  ElemType,
  KERNELS,
  type KernelName,
  NearestMode,
  PackedKind,
  PoolOp,
  QuantType,
  UnaryOp,
} from './kernels.js';
export { isPackedWeight, packedBy, packedDims } from './ops/gemm.js';
export { KERNEL_OPS } from './ops/index.js';
export { type KernelOp, runKernel } from './ops/kernel-op.js';
