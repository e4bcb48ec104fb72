/**
 * Kernel names and enums shared with the C++ side (csrc/api/kernel-list.h, kernels/*\/*.h). Kernel
 * ids are looked up by name in the addon's own list, which the backend checks at load holds every
 * kernel named here.
 */

export const KERNELS = ['unary_f32', 'binary_f32'] as const;
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
} as const;

/** kernels/vbinary/vbinary.h */
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;
