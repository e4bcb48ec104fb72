#include "../common/simd/scalar.h"
#include "make-table.h"

namespace os {
KernelTable table_scalar() { return make_table<simd::Scalar>(Isa::scalar); }
}  // namespace os
