// Compiled with -mavx2 -mfma -mf16c only (binding.gyp / CMake).
#include "../common/simd/avx2.h"
#include "make-table.h"

namespace os {
KernelTable table_avx2() {
  KernelTable t = make_table<simd::Avx2>(Isa::avx2);
  // Narrow planes read in place too (AMD EPYC, one thread, UltraFace's layers): stride 1, which runs
  // flat, 30x40 53 -> 45 us for 64 channels, 15x20 48 -> 34 us for 128, 8x10 48 -> 39 us for 256;
  // stride 2 to 30x40 74 -> 49 us for 32 channels, to 8x10 55 -> 37 us for 128, to 4x5 28 -> 13 us.
  t.dwconv3x3_min_width = 1;
  t.gemm.in_place_tiles = 2;
  return t;
}
}  // namespace os
