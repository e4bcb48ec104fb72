// The dispatch table: one function pointer per kernel family, filled for one ISA. Operators ask for
// kernels(), never for an ISA (XNNPACK's configs, ggml's backend variants).
#pragma once
#include "../kernels/vbinary/vbinary.h"
#include "../kernels/vunary/vunary.h"
#include "isa.h"

namespace os {

struct KernelTable {
  Isa isa;
  VUnaryFn vunary;
  VBinaryFn vbinary;
};

// The active table: the best ISA the CPU runs, unless ONNXSTREAM_ISA names another or use_isa() was called.
const KernelTable& kernels();
// Switches every later kernel call to `isa`; throws std::runtime_error when it is not supported here.
void use_isa(Isa isa);

// One table per ISA, each defined in dispatch/table-<isa>.cc (compiled with that ISA's flags).
KernelTable table_scalar();
#if defined(__x86_64__) || defined(_M_X64)
KernelTable table_avx2();
KernelTable table_avx512();
#endif
#if defined(__aarch64__)
KernelTable table_neon();
#endif
#if defined(__wasm_simd128__)
KernelTable table_wasmsimd();
#endif

}  // namespace os
