// The dispatch table: one function pointer per kernel family, filled for one ISA. Operators ask for
// kernels(), never for an ISA (XNNPACK's configs, ggml's backend variants).
#pragma once
#include "../kernels/vbinary/vbinary.h"
#include "../kernels/vunary/vunary.h"
#include "../kernels/attention/attention.h"
#include "../kernels/convert/convert.h"
#include "../kernels/norm/norm.h"
#include "../kernels/pool/pool.h"
#include "../kernels/resize/resize.h"
#include "../kernels/softmax/softmax.h"
#include "../kernels/transpose/transpose.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/gemm/gemm-f16.h"
#include "../kernels/conv/conv.h"
#include "../kernels/conv/conv3x3s2.h"
#include "../kernels/conv/dwconv3x3.h"
#include "../kernels/conv/winograd.h"
#include "isa.h"

namespace os {

struct KernelTable {
  Isa isa;
  VUnaryFn vunary;
  VBinaryFn vbinary;
  SoftmaxRowFn softmax_row;
  SoftmaxColsFn softmax_cols;
  NormSumsFn norm_sums;
  NormAffineFn norm_affine;
  NormRowFn norm_row;
  PoolRowFn pool_row;
  PoolGlobalFn pool_global;
  ResizeGatherFn resize_gather;
  ResizeLerpRowFn resize_lerp_row;
  ResizeBlendFn resize_blend;
  Transpose2dFn transpose2d;
  F16ToF32Fn f16_to_f32;
  F32ToF16Fn f32_to_f16;
  QuantizeFn quantize;
  DequantizeFn dequantize;
  AttnGemmFn attn_gemm;
  AttnSoftmaxFn attn_softmax;
  AttnFinishFn attn_finish;
  GemmKernels gemm;
  // float16 products in float16 arithmetic where the CPU has it (ARM asimdhp), else unset (mr 0).
  GemmF16Kernels gemm_f16;
  DwConvFn dwconv;
  DwConv3x3Fn dwconv3x3;
  // The narrowest output rows dwconv3x3 runs (ops/conv.cc); narrower planes go through phase planes
  // and dwconv, where that measured faster.
  size_t dwconv3x3_min_width;
  // dwconv3x3 for a block of planes at once (dwconv3x3_block_channels of them, a vector's lanes),
  // where set: ops/conv.cc runs it instead of dwconv3x3, except on output rows wider than
  // dwconv3x3_block_s1_max_width (stride 1) or dwconv3x3_block_s2_max_width (stride 2).
  DwConv3x3BlockFn dwconv3x3_block;
  size_t dwconv3x3_block_channels;
  size_t dwconv3x3_block_s1_max_width;
  size_t dwconv3x3_block_s2_max_width;
  PadRowsFn pad_rows;
  // Dense 3x3 stride-2 convolutions over at most kConv3x3S2MaxChannels input channels, and the most
  // input channels ops/conv.cc runs through it (0: none; the GEMM over phase planes runs them).
  Conv3x3S2Fn conv3x3s2;
  size_t conv3x3s2_max_channels;
  // 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) where set (ISAs without FMA).
  WinogradKernels winograd;
};

// The active table: the best ISA the CPU runs, unless ONNXSTREAM_ISA names another or use_isa() was called.
const KernelTable& kernels();
// Switches every later kernel call to `isa`; fails (common/failure.h) when it is not supported here.
void use_isa(Isa isa);

// One table per ISA, each defined in dispatch/table-<isa>.cc (compiled with that ISA's flags).
KernelTable table_scalar();
#if defined(__x86_64__) || defined(_M_X64)
KernelTable table_avx2();
KernelTable table_avx512();
#endif
#if defined(__aarch64__)
KernelTable table_neon();
#endif
#if defined(__wasm_simd128__)
KernelTable table_wasmsimd();
#endif

}  // namespace os
