// Scalar "vectors" of one float: the portable fallback and readable specification of the kernels.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace os::simd {

// a * b + c rounded once. WebAssembly has no fused multiply-add, so std::fma is a call to libc's
// software fmaf; its common case is inlined here: a float product is exact in double, and the
// double sum rounded to float is the fused result unless that sum lies halfway between two floats
// (then the call, so the result is std::fma's bit for bit).
inline float fused_multiply_add(float a, float b, float c) {
#if defined(__wasm__)
  const double sum = static_cast<double>(a) * b + c;
  uint64_t bits;
  std::memcpy(&bits, &sum, sizeof bits);
  if ((bits & 0x1fffffffu) != 0x10000000u) return static_cast<float>(sum);
#endif
  return std::fma(a, b, c);
}

struct Scalar {
  using V = float;
  static constexpr int N = 1;
  static V zero() { return 0.0f; }
  static V set1(float x) { return x; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V load_tail(const float* p, size_t) { return *p; }
  static void store_tail(float* p, V v, size_t) { *p = v; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V min(V a, V b) { return b < a ? b : a; }
  static V max(V a, V b) { return a < b ? b : a; }
  static V fma(V a, V b, V c) { return fused_multiply_add(a, b, c); }
  static V fnma(V a, V b, V c) { return fused_multiply_add(-a, b, c); }
  static V neg(V a) { return -a; }
  static V abs(V a) { return std::fabs(a); }
  static V sqrt(V a) { return std::sqrt(a); }
  static V round(V a) { return std::nearbyint(a); }
  // The float whose bits are b's shifted left by 23: 2^n when b = n + 127 + 1.5 * 2^23
  // (exp_neg_bounded's magic-biased round leaves n + 127 in b's low mantissa bits).
  static V shift_to_exponent(V b) {
    uint32_t u;
    std::memcpy(&u, &b, 4);
    u <<= 23;
    std::memcpy(&b, &u, 4);
    return b;
  }
  static V scale_pow2(V p, V n) { return std::isnan(n) ? n : std::ldexp(p, static_cast<int>(n)); }
  static V select_negative(V x, V a, V b) { return std::signbit(x) ? a : b; }
  static V select_less(V a, V b, V x, V y) { return a < b ? x : y; }
  // The even lanes of a, then of b: a's one lane.
  static V even_lanes(V a, V) { return a; }
  // even_lanes in the order ungroup restores (AVX2 saves a cross-half step per vector): here the same.
  static V even_lanes_grouped(V a, V b) { return even_lanes(a, b); }
  static V ungroup(V v) { return v; }
  static float reduce_add(V v) { return v; }
  static float reduce_max(V v) { return v; }
};

}  // namespace os::simd
