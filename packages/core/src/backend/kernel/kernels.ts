/**
 * Kernel names and enums shared with the C++ side (csrc/api/kernel-list.h, kernels/*\/*.h). Kernel
 * ids are looked up by name in the addon's own list, which the backend checks at load holds every
 * kernel named here.
 */

export const KERNELS = [
  'unary_f32',
  'binary_f32',
  'softmax_f32',
  'layer_norm_f32',
  'channel_norm_f32',
  'pool2d_f32',
  'global_pool_f32',
  'resize_f32',
  'transpose_f32',
  'concat_f32',
  'split_f32',
  'slice_f32',
  'f16_to_f32',
  'f32_to_f16',
  'quantize_8bit',
  'dequantize_8bit',
  'attention_f32',
  'gemm_layout',
  'gemm_pack',
  'gemm_f32',
  'matmul_f32',
  'conv2d_f32',
  'conv_transpose2d_f32',
  'geglu_f32',
] as const;
export type KernelName = (typeof KERNELS)[number];

/** kernels/vunary/vunary.h */
export const UnaryOp = {
  relu: 0,
  sigmoid: 1,
  silu: 2,
  tanh: 3,
  exp: 4,
  neg: 5,
  abs: 6,
  sqrt: 7,
  leakyRelu: 8,
  clip: 9,
  hardSigmoid: 10,
  hardSwish: 11,
  reciprocal: 12,
  erf: 13,
  gelu: 14,
} as const;

/** kernels/vbinary/vbinary.h */
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;

/** kernels/pool/pool.h */
export const PoolOp = { max: 0, avg: 1 } as const;

/** kernels/convert/convert.h */
export const QuantType = { uint8: 0, int8: 1 } as const;

/** ops/resize.cc */
export const CoordMode = {
  half_pixel: 0,
  half_pixel_symmetric: 1,
  pytorch_half_pixel: 2,
  tf_half_pixel_for_nn: 3,
  align_corners: 4,
  asymmetric: 5,
} as const;

/** ops/resize.cc ('simple': Resize-10 / Upsample rounding) */
export const NearestMode = {
  round_prefer_floor: 0,
  round_prefer_ceil: 1,
  floor: 2,
  ceil: 3,
  simple: 4,
} as const;

/** kernels/gemm/gemm.h (packing sources) */
export const ElemType = { float32: 0, float16: 1, uint8: 2 } as const;

/**
 * kernels/gemm/gemm-driver.h (prepacked operands); winograd: a 3x3 convolution's weights transformed
 * for the Winograd path of ISAs that have it (packages/native/csrc/ops/conv.cc).
 */
export const PackedKind = { a: 1, b: 2, winograd: 3 } as const;
