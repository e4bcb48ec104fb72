// Instruction-set levels the kernels are written for. The best one the CPU supports is chosen at
// run time (never -march=native at build time); ONNXSTREAM_ISA or set_isa() force a lower one.
#pragma once

namespace os {

enum class Isa {
  scalar,    // portable C++, every build
  avx2,      // x86-64 AVX2 + FMA3 + F16C
  avx512,    // x86-64 AVX-512 F/BW/DQ/VL (+ FMA, F16C)
  neon,      // AArch64 Advanced SIMD with FMA
  wasmsimd,  // WebAssembly SIMD128
};

const char* isa_name(Isa isa);
// Returns false when `name` is not an ISA name.
bool isa_from_name(const char* name, Isa* out);
// Whether this build contains the ISA's kernels and the CPU can run them.
bool isa_supported(Isa isa);
// The best supported ISA.
Isa best_isa();
// Whether the CPU runs half-precision arithmetic instructions (AArch64: ARMv8.2-A FP16, Linux
// HWCAP_ASIMDHP); false elsewhere (x86 without AVX512-FP16 kernels, wasm).
bool cpu_has_fp16_arithmetic();

}  // namespace os
