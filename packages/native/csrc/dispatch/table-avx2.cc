// Compiled with -mavx2 -mfma -mf16c only (binding.gyp / CMake).
#include "../common/simd/avx2.h"
#include "make-table.h"

namespace os {
KernelTable table_avx2() { return make_table<simd::Avx2>(Isa::avx2); }
}  // namespace os
