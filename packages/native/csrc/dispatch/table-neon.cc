#include "../common/simd/neon.h"
#include "make-table.h"

namespace os {
KernelTable table_neon() { return make_table<simd::Neon>(Isa::neon); }
}  // namespace os
