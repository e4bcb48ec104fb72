// Instantiates every kernel family for one SIMD vocabulary S. Included once per ISA by
// dispatch/table-<isa>.cc; adding a family means adding its impl header and one line here.
#pragma once
#include "../kernels/vbinary/vbinary-impl.h"
#include "../kernels/vunary/vunary-impl.h"
#include "../kernels/attention/attention-impl.h"
#include "../kernels/convert/convert-impl.h"
#include "../kernels/norm/norm-impl.h"
#include "../kernels/pool/pool-impl.h"
#include "../kernels/resize/resize-impl.h"
#include "../kernels/softmax/softmax-impl.h"
#include "../kernels/transpose/transpose-impl.h"
#include "../kernels/gemm/gemm-impl.h"
#include "../kernels/conv/conv-impl.h"
#include "../kernels/conv/conv3x3s2-impl.h"
#include "../kernels/conv/dwconv3x3-impl.h"
#include "kernels.h"

namespace os {

template <class S>
KernelTable make_table(Isa isa) {
  KernelTable t{};
  t.isa = isa;
  t.vunary = &impl::vunary<S>;
  t.vbinary = &impl::vbinary<S>;
  t.softmax_row = &impl::softmax_row<S>;
  t.softmax_cols = &impl::softmax_cols<S>;
  t.norm_sums = &impl::norm_sums<S>;
  t.norm_affine = &impl::norm_affine<S>;
  t.norm_row = &impl::norm_row<S>;
  t.pool_row = &impl::pool_row<S>;
  t.pool_global = &impl::pool_global<S>;
  t.resize_gather = &impl::resize_gather<S>;
  t.resize_lerp_row = &impl::resize_lerp_row<S>;
  t.resize_blend = &impl::resize_blend<S>;
  t.transpose2d = &impl::transpose2d<S>;
  t.f16_to_f32 = &impl::f16_to_f32<S>;
  t.f32_to_f16 = &impl::f32_to_f16<S>;
  t.quantize = &impl::quantize<S>;
  t.dequantize = &impl::dequantize<S>;
  t.attn_gemm = &impl::attn_gemm<S>;
  t.attn_softmax = &impl::attn_softmax<S>;
  t.attn_finish = &impl::attn_finish<S>;
  t.gemm = impl::gemm_kernels<S>();
  t.dwconv = &impl::dwconv<S>;
  t.dwconv3x3 = &impl::dwconv3x3<S>;
  // Rows of 64 outputs and more: UltraFace's 80 and 160 columns 1.4-1.6 times faster than the phase
  // planes (AVX-512 and AVX2, one thread); 40 columns 1.2 times slower on AVX-512 (Xeon), 15x20 and
  // 30x40 planes 1.3-1.6 times slower on SIMD128 (node, one thread).
  t.dwconv3x3_min_width = 64;
  t.dwconv3x3_block_s2_max_width = SIZE_MAX;
  t.pad_rows = &impl::pad_rows<S>;
  t.conv3x3s2 = &impl::conv3x3s2<S>;
  // Where it measured faster than the GEMM over phase planes (UltraFace's and YOLOv8n's first
  // convolutions): AVX-512 only (table-avx512.cc). AVX2 ran them 1.08-1.11 times slower (one
  // thread; 12 x 1 tiles over its 6-row panels), SIMD128 1.07-1.27 times (relaxed build, two
  // threads); NEON and scalar are unmeasured.
  t.conv3x3s2_max_channels = 0;
  return t;
}

}  // namespace os
