// Every kernel entry point the bindings expose. A kernel's id is its position here; JavaScript looks
// ids up by name (info().kernels), so the list may grow anywhere.
#pragma once

#define OS_KERNEL_LIST(X) \
  X(unary_f32)            \
  X(binary_f32)           \
  X(softmax_f32)          \
  X(layer_norm_f32)       \
  X(channel_norm_f32)     \
  X(pool2d_f32)           \
  X(global_pool_f32)      \
  X(resize_f32)           \
  X(transpose_f32)        \
  X(concat_f32)           \
  X(split_f32)            \
  X(slice_f32)            \
  X(f16_to_f32)           \
  X(f32_to_f16)           \
  X(quantize_8bit)        \
  X(dequantize_8bit)      \
  X(attention_f32)        \
  X(gemm_layout)          \
  X(gemm_pack)            \
  X(gemm_f32)             \
  X(matmul_f32)           \
  X(conv2d_f32)           \
  X(conv_transpose2d_f32) \
  X(geglu_f32)
