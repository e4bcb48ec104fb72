// WebAssembly SIMD128: 4 floats (no FMA: multiply then add).
#pragma once
#include <wasm_simd128.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace os::simd {

// Where WasmSimd::splat<B> loads the float with bits B from: not const, so that the compiler cannot
// fold it into a v128.const.
template <uint32_t B>
inline uint32_t g_splat = B;

struct WasmSimd {
  using V = v128_t;
  static constexpr int N = 4;
  static V zero() { return wasm_f32x4_splat(0.0f); }
  static V set1(float x) { return wasm_f32x4_splat(x); }
  // A constant for a loop's every vector: V8 (Node 20) builds each v128.const from immediates
  // through a general register at every use (three instructions), a splat load is one.
  template <uint32_t B>
  static V splat() {
    return wasm_v128_load32_splat(&g_splat<B>);
  }
  static V load(const float* p) { return wasm_v128_load(p); }
  static void store(float* p, V v) { wasm_v128_store(p, v); }
  static V load_tail(const float* p, size_t n) {
    float t[4] = {0, 0, 0, 0};
    std::memcpy(t, p, n * sizeof(float));
    return wasm_v128_load(t);
  }
  static void store_tail(float* p, V v, size_t n) {
    float t[4];
    wasm_v128_store(t, v);
    std::memcpy(p, t, n * sizeof(float));
  }
  // The first U lanes (a power of two below N).
  template <size_t U>
  static void store_first(float* p, V v) {
    if constexpr (U == 2) {
      wasm_v128_store64_lane(p, v, 0);
    } else {
      static_assert(U == 1);
      wasm_v128_store32_lane(p, v, 0);
    }
  }
  static V add(V a, V b) { return wasm_f32x4_add(a, b); }
  static V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
  static V mul(V a, V b) { return wasm_f32x4_mul(a, b); }
  static V div(V a, V b) { return wasm_f32x4_div(a, b); }
  static V min(V a, V b) { return wasm_f32x4_pmin(a, b); }
  static V max(V a, V b) { return wasm_f32x4_pmax(a, b); }
#if defined(__wasm_relaxed_simd__)
  // Relaxed SIMD (the `relaxed` build): one instruction, fused where the CPU has FMA (LLVM 14 emits
  // the proposal's early opcodes; scripts/relaxed-opcodes.mjs renumbers them to the standard
  // f32x4.relaxed_madd and relaxed_nmadd, whose operands are in this order).
  static V fma(V a, V b, V c) { return (V)__builtin_wasm_fma_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c); }
  static V fnma(V a, V b, V c) { return (V)__builtin_wasm_fms_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c); }
#else
  static V fma(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
  static V fnma(V a, V b, V c) { return wasm_f32x4_sub(c, wasm_f32x4_mul(a, b)); }
#endif
  static V neg(V a) { return wasm_f32x4_neg(a); }
  static V abs(V a) { return wasm_f32x4_abs(a); }
  static V sqrt(V a) { return wasm_f32x4_sqrt(a); }
  static V round(V a) { return wasm_f32x4_nearest(a); }
  // The float whose bits are b's shifted left by 23: 2^n when b = n + 127 + 1.5 * 2^23
  // (exp_neg_bounded's magic-biased round leaves n + 127 in b's low mantissa bits).
  static V shift_to_exponent(V b) { return wasm_i32x4_shl(b, 23); }
  // p * 2^n for integral n in [-252, 254], in two halves so that each power is a normal float.
  static V scale_pow2(V p, V n) {
    const v128_t k = wasm_i32x4_trunc_sat_f32x4(n);
    const v128_t k1 = wasm_i32x4_shr(k, 1);
    const v128_t k2 = wasm_i32x4_sub(k, k1);
    const auto pow2 = [](v128_t e) { return wasm_i32x4_shl(wasm_i32x4_add(e, wasm_i32x4_splat(127)), 23); };
    return wasm_f32x4_mul(wasm_f32x4_mul(p, pow2(k1)), pow2(k2));
  }
  // Lanes of a and b interleaved: a0 b0 a1 b1 (lo), a2 b2 a3 b3 (hi).
  static V zip_lo(V a, V b) { return wasm_i32x4_shuffle(a, b, 0, 4, 1, 5); }
  static V zip_hi(V a, V b) { return wasm_i32x4_shuffle(a, b, 2, 6, 3, 7); }
  // Lanes 0 and 2 of a, then of b: a0 a2 b0 b2 (one shufps).
  static V even_lanes(V a, V b) { return wasm_i32x4_shuffle(a, b, 0, 2, 4, 6); }
  // even_lanes in the order ungroup restores (AVX2 saves a cross-half step per vector): here the same.
  static V even_lanes_grouped(V a, V b) { return even_lanes(a, b); }
  static V ungroup(V v) { return v; }
  // r[i] lane j to r[j] lane i (a 4 x 4 transposition: rows zipped in pairs, then 64-bit halves paired).
  static void transpose(V (&r)[N]) {
    const V t0 = zip_lo(r[0], r[1]), t1 = zip_hi(r[0], r[1]), t2 = zip_lo(r[2], r[3]), t3 = zip_hi(r[2], r[3]);
    r[0] = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
    r[1] = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
    r[2] = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
    r[3] = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
  }
  static V select_negative(V x, V a, V b) { return wasm_v128_bitselect(a, b, wasm_i32x4_shr(x, 31)); }
  static V select_less(V a, V b, V x, V y) { return wasm_v128_bitselect(x, y, wasm_f32x4_lt(a, b)); }
  static float reduce_add(V v) {
    return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
           wasm_f32x4_extract_lane(v, 3);
  }
  static float reduce_max(V v) {
    return std::fmax(std::fmax(wasm_f32x4_extract_lane(v, 0), wasm_f32x4_extract_lane(v, 1)),
                     std::fmax(wasm_f32x4_extract_lane(v, 2), wasm_f32x4_extract_lane(v, 3)));
  }
};

}  // namespace os::simd
