// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c only.
#include "../common/simd/avx512.h"
#include "make-table.h"

namespace os {
KernelTable table_avx512() { return make_table<simd::Avx512>(Isa::avx512); }
}  // namespace os
