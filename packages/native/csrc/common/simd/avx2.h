// AVX2 + FMA3: 8 floats. Include only from files compiled with -mavx2 -mfma -mf16c.
#pragma once
#include <immintrin.h>

#include <cstddef>

namespace os::simd {

struct Avx2 {
  using V = __m256;
  static constexpr int N = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static __m256i tail_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load_tail(const float* p, size_t n) { return _mm256_maskload_ps(p, tail_mask(n)); }
  static void store_tail(float* p, V v, size_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
  // The first U lanes (a power of two below N) by a plain narrower store: a masked store is
  // microcoded on AMD's cores (several times a full store's cost).
  template <size_t U>
  static void store_first(float* p, V v) {
    const __m128 lo = _mm256_castps256_ps128(v);
    if constexpr (U == 4) {
      _mm_storeu_ps(p, lo);
    } else if constexpr (U == 2) {
      _mm_storel_pi(reinterpret_cast<__m64*>(p), lo);
    } else {
      static_assert(U == 1);
      _mm_store_ss(p, lo);
    }
  }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  // Operands swapped: x86 returns its second operand when one is NaN, and we want `a` back (NaN in
  // the first operand propagates, as in the scalar vocabulary).
  static V min(V a, V b) { return _mm256_min_ps(b, a); }
  static V max(V a, V b) { return _mm256_max_ps(b, a); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V neg(V a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // The float whose bits are b's shifted left by 23: 2^n when b = n + 127 + 1.5 * 2^23
  // (exp_neg_bounded's magic-biased round leaves n + 127 in b's low mantissa bits).
  static V shift_to_exponent(V b) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(b), 23)); }
  // p * 2^n for integral n in [-252, 254], in two halves so that each power is a normal float.
  static V scale_pow2(V p, V n) {
    const __m256i k = _mm256_cvtps_epi32(n);
    const __m256i k1 = _mm256_srai_epi32(k, 1);
    const __m256i k2 = _mm256_sub_epi32(k, k1);
    const auto pow2 = [](__m256i e) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23)); };
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2(k1)), pow2(k2));
  }
  static V select_negative(V x, V a, V b) { return _mm256_blendv_ps(b, a, x); }
  static V select_less(V a, V b, V x, V y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  // Lanes 0, 2, 4, 6 of a, then of b: shufps pairs them per 128-bit half, vpermpd orders the halves.
  static V even_lanes(V a, V b) { return ungroup(even_lanes_grouped(a, b)); }
  // even_lanes without its cross-half step: lanes 0, 2 of a and of b, then 4, 6 of a and of b
  // (shufps alone). Sums of such vectors come back in order through one ungroup (vpermpd).
  static V even_lanes_grouped(V a, V b) { return _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); }
  static V ungroup(V v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  // r[i] lane j to r[j] lane i: rows interleaved in pairs, then pairs of pairs (a 4 x 4 transposition
  // in each 128-bit half), then the halves exchanged.
  static void transpose(V (&r)[N]) {
    V t[N];
    for (int i = 0; i < N; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < N; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int j = 0; j < 4; j++) {
      t[j] = _mm256_permute2f128_ps(r[j], r[j + 4], 0x20);
      t[j + 4] = _mm256_permute2f128_ps(r[j], r[j + 4], 0x31);
    }
    for (int j = 0; j < N; j++) r[j] = t[j];
  }
  static float reduce_add(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

}  // namespace os::simd
