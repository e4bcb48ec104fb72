#include "kernels.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include "../common/failure.h"

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
    default: fail(FailureKind::runtime_error, std::string("ISA ") + isa_name(isa) + " is not in this build");
  }
}

// ONNXSTREAM_ISA when it names no ISA this build runs on this CPU: every kernels() call then fails.
const char* g_unusable_isa = nullptr;

// The ISA ONNXSTREAM_ISA names, else the best one.
Isa initial_isa() {
  const char* forced = std::getenv("ONNXSTREAM_ISA");
  Isa isa;
  if (!forced || !*forced) return best_isa();
  if (isa_from_name(forced, &isa) && isa_supported(isa)) return isa;
  g_unusable_isa = forced;
  return best_isa();
}

std::once_flag g_once;
KernelTable g_table;

}  // namespace

const KernelTable& kernels() {
  // Nothing inside call_once fails (initial_isa returns a supported ISA and allocates nothing): a
  // failure longjmping out of it would leave the once flag taken for good.
  std::call_once(g_once, [] { g_table = table_for(initial_isa()); });
  if (g_unusable_isa) {
    fail(FailureKind::runtime_error,
         std::string("ONNXSTREAM_ISA: '") + g_unusable_isa + "' is not an ISA this build runs here");
  }
  return g_table;
}

void use_isa(Isa isa) {
  if (!isa_supported(isa)) {
    fail(FailureKind::runtime_error, std::string("ISA ") + isa_name(isa) + " is not supported here");
  }
  kernels();
  g_table = table_for(isa);
}

}  // namespace os
