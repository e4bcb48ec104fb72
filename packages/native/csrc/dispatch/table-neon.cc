#include "../common/simd/neon.h"
#include "make-table.h"

namespace os {
// The table stays ARMv8-A; the FP16 GEMM (compiled for ARMv8.2-A FP16) joins it where the CPU has that.
KernelTable table_neon() {
  KernelTable t = make_table<simd::Neon>(Isa::neon);
  if (cpu_has_fp16_arithmetic()) t.gemm_f16 = gemm_f16_kernels_neonfp16();
  return t;
}
}  // namespace os
