/**
 * Kernel names and enums shared with the C++ side (csrc/api/kernel-list.h, kernels/*\/*.h) live in
 * @onnxstream/core/kernel with the operator layer that uses them; re-exported for this path.
 */
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
} from '@onnxstream/core/kernel';
