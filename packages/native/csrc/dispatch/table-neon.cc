#include "../common/simd/neon.h"
#include "make-table.h"

namespace os {
// The table stays ARMv8-A; the FP16 GEMM (compiled for ARMv8.2-A FP16) joins it where the CPU has that.
KernelTable table_neon() {
  KernelTable t = make_table<simd::Neon>(Isa::neon);
  // Depthwise 3x3 convolutions 4 channels at a time, at every width: unmeasured here (no ARM
  // hardware); SIMD128's setting, the same 4 lanes (table-wasmsimd.cc).
  t.dwconv3x3_block = &impl::dwconv3x3_block<simd::Neon>;
  t.dwconv3x3_block_channels = simd::Neon::N;
  t.dwconv3x3_block_s1_max_width = SIZE_MAX;
  if (cpu_has_fp16_arithmetic()) t.gemm_f16 = gemm_f16_kernels_neonfp16();
  return t;
}
}  // namespace os
