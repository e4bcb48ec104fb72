#include "kernels.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

namespace os {
namespace {

KernelTable table_for(Isa isa) {
  switch (isa) {
    case Isa::scalar: return table_scalar();
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return table_avx2();
    case Isa::avx512: return table_avx512();
#endif
#if defined(__aarch64__)
    case Isa::neon: return table_neon();
#endif
#if defined(__wasm_simd128__)
    case Isa::wasmsimd: return table_wasmsimd();
#endif
    default: throw std::runtime_error(std::string("ISA ") + isa_name(isa) + " is not in this build");
  }
}

Isa initial_isa() {
  const char* forced = std::getenv("ONNXSTREAM_ISA");
  if (forced && *forced) {
    Isa isa;
    if (!isa_from_name(forced, &isa)) throw std::runtime_error(std::string("ONNXSTREAM_ISA: unknown ISA '") + forced + "'");
    if (!isa_supported(isa)) throw std::runtime_error(std::string("ONNXSTREAM_ISA: ") + forced + " is not supported here");
    return isa;
  }
  return best_isa();
}

std::once_flag g_once;
KernelTable g_table;

}  // namespace

const KernelTable& kernels() {
  std::call_once(g_once, [] { g_table = table_for(initial_isa()); });
  return g_table;
}

void use_isa(Isa isa) {
  if (!isa_supported(isa)) throw std::runtime_error(std::string("ISA ") + isa_name(isa) + " is not supported here");
  kernels();
  g_table = table_for(isa);
}

}  // namespace os
