#include "../common/simd/wasmsimd.h"
#include "make-table.h"

namespace os {
KernelTable table_wasmsimd() { return make_table<simd::WasmSimd>(Isa::wasmsimd); }
}  // namespace os
