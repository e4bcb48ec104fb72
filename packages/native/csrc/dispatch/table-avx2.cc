// Compiled with -mavx2 -mfma -mf16c only (binding.gyp / CMake).
#include "../common/simd/avx2.h"
#include "../kernels/conv/winograd-impl.h"
#include "make-table.h"

namespace os {
KernelTable table_avx2() {
  KernelTable t = make_table<simd::Avx2>(Isa::avx2);
  // Narrow planes read in place too (AMD EPYC, one thread, UltraFace's layers): stride 1, which runs
  // flat, 30x40 53 -> 45 us for 64 channels, 15x20 48 -> 34 us for 128, 8x10 48 -> 39 us for 256;
  // stride 2 to 30x40 74 -> 49 us for 32 channels, to 8x10 55 -> 37 us for 128, to 4x5 28 -> 13 us.
  t.dwconv3x3_min_width = 1;
  // Depthwise 3x3 convolutions 8 channels at a time (one thread, ReLU, against dwconv3x3):
  // UltraFace's layers 0.69-0.90 of the time (8x10 to 120x160 planes; the model 3.92 -> 3.56 ms),
  // MobileNet-like 32 channels at 112x112 0.88, 96 at stride 2 0.66; at stride 1 wide rows lose
  // (16 channels, 120 rows: 240 columns 0.93, 320 1.00, 400 1.13, 640 1.18), at stride 2 they do
  // not (480 and 640 output columns 0.79-0.87).
  t.dwconv3x3_block = &impl::dwconv3x3_block<simd::Avx2>;
  t.dwconv3x3_block_channels = simd::Avx2::N;
  t.dwconv3x3_block_s1_max_width = 256;
  t.gemm.in_place_tiles = 2;
  // 3x3 stride-1 convolutions by Winograd F(4x4, 3x3), 4 times fewer multiply-adds: YOLOv8n's
  // 80x80 head convolutions 1.7-2 times faster on one thread, its layers' sum 15 % lower. The
  // weights are transformed per call: kept transformed (4 times their size) they took YOLOv8n's live
  // bytes past the room the block cache keeps for its tensors (8000 page faults a run instead of
  // 200). Only up to 4 MiB of transformed weights (M x C at most 29127, as 128 x 227): SD's
  // convolutions (320 x 320 channels and more) would add 15 MiB and more to a streamed run's peak.
  t.winograd = impl::winograd_kernels<simd::Avx2>();
  t.winograd.keep_transformed = false;
  t.winograd.max_weight_bytes = 4 << 20;
  // Where the transforms and the rounding of tiles outweigh the saving, the direct GEMM runs (see
  // WinogradKernels). In YOLOv8n (one thread, before the weight transform lost its divisions)
  // 128 -> 128 at 20x20 (macs ratio 0.48) took 1.65 times the direct time and 256 -> 80 2.9 times;
  // at 40x40 (0.40) 128 -> 80 0.8 times. UltraFace's 16 -> 16 at 30x40 (depth gain 19) 1.05 times,
  // 8 -> 16 (12) 2.1 times, 256 -> 12 at 4x5 14 times.
  t.winograd.max_macs_ratio = 0.45;
  t.winograd.min_depth_gain = 24;
  // SD's VAE decoder's 128-channel convolutions at 512x512 (1.8 MiB of planes a task) took 4-6 MiB
  // more peak RSS for no measured gain; YOLOv8n's and super-resolution's layers take at most 0.5 MiB.
  t.winograd.max_plane_bytes = 1 << 20;
  return t;
}
}  // namespace os
