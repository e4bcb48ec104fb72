// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c only.
#include "../common/simd/avx512.h"
#include "make-table.h"

namespace os {
KernelTable table_avx512() {
  KernelTable t = make_table<simd::Avx512>(Isa::avx512);
  // Every AVX-512 CPU runs AVX2 and FMA: where AVX2's kernels win, this table takes them. AMD EPYC
  // Zen 4 (512-bit operations in two halves), one thread, AVX-512 table against AVX2's:
  // - depthwise 3x3 convolutions 8 channels at a time (dwconv3x3_block) against this ISA's per-plane
  //   kernel (dw3_rows then): UltraFace's layers 0.54-0.79 of the time, up to 64 output columns
  //   (below);
  // - Winograd F(4x4, 3x3) (AVX2's transforms, this table's GEMM between them): YOLOv8n's 3x3
  //   stride-1 convolutions at 160x160 to 40x40 0.67-0.77 of the time of the direct GEMM;
  // the GEMM stays AVX-512's (8 x 32 tiles: YOLOv8n's and UltraFace's other convolutions 1.02-1.41
  // times faster than AVX2's 6 x 16).
  // Its 64-byte B loads read a pointwise convolution's channel planes in place a line each, for any
  // number of tiles and depth (one thread: UltraFace's 16 -> 32 at 120x160 0.97 of the packed
  // time, 32 -> 32 at 60x80 0.91, 64 -> 64 at 30x40 0.96; the model 2.66 -> 2.59 ms).
  t.gemm.shallow_depth = SIZE_MAX;
  t.gemm.shallow_tiles = SIZE_MAX;
  // First convolutions straight from the input planes (16 x 1 tiles): UltraFace's 3 -> 16 at
  // 240x320 0.84-0.86 of the time of the GEMM over phase planes, YOLOv8n's at 640x640 0.88-0.91
  // (one thread).
  t.conv3x3s2_max_channels = kConv3x3S2MaxChannels;
  const KernelTable avx2 = table_avx2();
  t.dwconv3x3_min_width = avx2.dwconv3x3_min_width;
  t.dwconv3x3_block = avx2.dwconv3x3_block;
  t.dwconv3x3_block_channels = avx2.dwconv3x3_block_channels;
  // Wider rows plane by plane, each input vector loaded once and its neighbours' lanes shifted in
  // (dwconv3x3_shift), against the 8-channel blocks: stride 1, 16 channels at 120x160 0.80-0.82 of
  // the time, 640 columns 0.73, 64 columns 0.98, 48 columns 1.04; stride 2 to 60x80, 32 channels
  // 0.92-0.94, to 30x40 0.97-1.0 (one thread).
  t.dwconv3x3 = &impl::dwconv3x3_shift<simd::Avx512>;
  t.dwconv3x3_block_s1_max_width = 64;
  t.dwconv3x3_block_s2_max_width = 64;
  t.winograd = avx2.winograd;
  return t;
}
}  // namespace os
