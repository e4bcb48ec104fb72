// AVX-512 F/BW/DQ/VL: 16 floats, masked tails. Include only from files compiled with the AVX-512 flags.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace os::simd {

struct Avx512 {
  using V = __m512;
  static constexpr int N = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 tail_mask(size_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static V load_tail(const float* p, size_t n) { return _mm512_maskz_loadu_ps(tail_mask(n), p); }
  static void store_tail(float* p, V v, size_t n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  // Operands swapped so NaN in the first operand propagates (see avx2.h).
  static V min(V a, V b) { return _mm512_min_ps(b, a); }
  static V max(V a, V b) { return _mm512_max_ps(b, a); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V neg(V a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN))); }
  static V abs(V a) { return _mm512_abs_ps(a); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // The float whose bits are b's shifted left by 23: 2^n when b = n + 127 + 1.5 * 2^23
  // (exp_neg_bounded's magic-biased round leaves n + 127 in b's low mantissa bits).
  static V shift_to_exponent(V b) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(b), 23)); }
  static V scale_pow2(V p, V n) { return _mm512_scalef_ps(p, n); }
  static V select_negative(V x, V a, V b) {
    return _mm512_mask_blend_ps(_mm512_movepi32_mask(_mm512_castps_si512(x)), b, a);
  }
  static V select_less(V a, V b, V x, V y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x); }
  // Lanes 0, 2, .., 14 of a, then of b (one vpermt2ps).
  static V even_lanes(V a, V b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
  }
  // Lanes 1, 3, .., 15 of a, then of b.
  static V odd_lanes(V a, V b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
  }
  // The vector one lane to the left of v in the run prev, v (prev's last lane, then v's first 15),
  // and one lane to the right of v in v, next (one valignd each).
  static V lanes_before(V v, V prev) {
    return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(v), _mm512_castps_si512(prev), 15));
  }
  static V lanes_after(V v, V next) {
    return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(v), 1));
  }
  // even_lanes in the order ungroup restores (AVX2 saves a cross-half step per vector): here the same.
  static V even_lanes_grouped(V a, V b) { return even_lanes(a, b); }
  static V ungroup(V v) { return v; }
  static float reduce_add(V v) { return _mm512_reduce_add_ps(v); }
  static float reduce_max(V v) { return _mm512_reduce_max_ps(v); }
};

}  // namespace os::simd
