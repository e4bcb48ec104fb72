// Transcendental functions on any SIMD vocabulary S, from the primitives every S provides. Accuracy:
// exp within 2 ulp over [-87.3, 88.7] (Cody-Waite range reduction, degree-6 polynomial), +inf
// above and 0 below; sigmoid and tanh built on it. NaN propagates.
#pragma once
#include <cstdint>

namespace os::simd {

// A float's bits, to name a constant as a template argument (constant<S, bits(1.5f)>()).
constexpr uint32_t bits(float x) { return __builtin_bit_cast(uint32_t, x); }

// The constant vector of the float with bits B: set1, or S::splat<B>() where S has it (SIMD128
// loads it from memory).
template <class S, uint32_t B>
inline typename S::V constant() {
  if constexpr (requires { S::template splat<B>(); }) {
    return S::template splat<B>();
  } else {
    return S::set1(__builtin_bit_cast(float, B));
  }
}

// exp(x - n ln2) for integral n with |x - n ln2| <= ln2 / 2: the reduction in two parts
// (Cody-Waite) and a degree-6 polynomial (Horner).
template <class S>
inline typename S::V exp_reduced(typename S::V x, typename S::V n) {
  using V = typename S::V;
  V r = S::fnma(n, constant<S, bits(0.693359375f)>(), x);
  r = S::fnma(n, constant<S, bits(-2.12194440e-4f)>(), r);
  V p = constant<S, bits(1.9875691500e-4f)>();
  p = S::fma(p, r, constant<S, bits(1.3981999507e-3f)>());
  p = S::fma(p, r, constant<S, bits(8.3334519073e-3f)>());
  p = S::fma(p, r, constant<S, bits(4.1665795894e-2f)>());
  p = S::fma(p, r, constant<S, bits(1.6666665459e-1f)>());
  p = S::fma(p, r, constant<S, bits(5.0000001201e-1f)>());
  p = S::fma(p, S::mul(r, r), r);
  return S::add(p, constant<S, bits(1.0f)>());
}

template <class S>
inline typename S::V exp(typename S::V x) {
  using V = typename S::V;
  // Beyond ln(FLT_MAX) the result is +inf; below -87.34 (FLT_MIN's log) it is flushed to 0.
  const V hi = constant<S, bits(88.72283935546875f)>();
  const V lo = constant<S, bits(-87.3365478515625f)>();
  const V over = x;
  x = S::min(S::max(x, lo), hi);
  // x = n * ln2 + r, |r| <= ln2 / 2
  const V n = S::round(S::mul(x, constant<S, bits(1.44269504088896341f)>()));
  const V e = S::select_less(hi, over, S::set1(__builtin_huge_valf()), S::scale_pow2(exp_reduced<S>(x, n), n));
  // Below the clamp the result is 0 (exp(-inf) = 0: masked softmax positions weigh nothing).
  return S::select_less(over, lo, S::zero(), e);
}

// exp(-x) for x the caller keeps within [-80, 87.3], for a fused SiLU's epilogue, where every output
// pays: no clamps or special cases, 2^n from a magic-biased round (-x * log2e + 1.5 * 2^23 + 127
// rounds n into the low mantissa bits, n + 127 in [1, 243], which shift_to_exponent moves into the
// exponent), one reduction step to f = -x log2e - n in [-1/2, 1/2] and 2^f by a degree-5 polynomial
// (near-minimax in relative error, c0 = 1): 10 operations where exp(x) of a negated argument took
// 15 (17 instead of 24 without FMA, where each fma is two). Relative error about 2e-7 with FMA,
// 1e-6 without (the product -x log2e rounded apart): SiLU damps it to within 4 and 9 ulp where
// |SiLU| > 0.01 and 1.3e-6 absolute everywhere (against double precision over [-90, 90]).
template <class S>
inline typename S::V exp_neg_bounded(typename S::V x) {
  using V = typename S::V;
  const V magic = constant<S, bits(12583039.0f)>();  // 1.5 * 2^23 + 127
  const V minus_log2e = constant<S, bits(-1.44269504088896341f)>();
  const V biased = S::fma(x, minus_log2e, magic);
  const V f = S::fma(x, minus_log2e, S::sub(magic, biased));
  V p = constant<S, bits(1.326472731307149e-3f)>();
  p = S::fma(p, f, constant<S, bits(9.671512991189957e-3f)>());
  p = S::fma(p, f, constant<S, bits(5.550733581185341e-2f)>());
  p = S::fma(p, f, constant<S, bits(2.4022242426872253e-1f)>());
  p = S::fma(p, f, constant<S, bits(6.931470036506653e-1f)>());
  p = S::fma(p, f, constant<S, bits(1.0f)>());
  return S::mul(p, S::shift_to_exponent(biased));
}

// erf as a rational function of x on [-4, 4] (odd numerator of degree 13 over an even denominator of
// degree 8), +-1 beyond, where erf(4) = 1 - 1.5e-8 rounds to 1 in float anyway. Absolute error about
// 1e-7, relative error a few ulp near 0. Used for GELU (x/2 (1 + erf(x/sqrt 2))).
template <class S>
inline typename S::V erf(typename S::V x) {
  using V = typename S::V;
  x = S::min(S::max(x, S::set1(-4.0f)), S::set1(4.0f));
  const V x2 = S::mul(x, x);
  V p = S::set1(-2.72614225801306e-10f);
  p = S::fma(p, x2, S::set1(2.77068142495902e-08f));
  p = S::fma(p, x2, S::set1(-2.10102402082508e-06f));
  p = S::fma(p, x2, S::set1(-5.69250639462346e-05f));
  p = S::fma(p, x2, S::set1(-7.34990630326855e-04f));
  p = S::fma(p, x2, S::set1(-2.95459980854025e-03f));
  p = S::fma(p, x2, S::set1(-1.60960333262415e-02f));
  p = S::mul(p, x);
  V q = S::set1(-1.45660718464996e-05f);
  q = S::fma(q, x2, S::set1(-2.13374055278905e-04f));
  q = S::fma(q, x2, S::set1(-1.68282697438203e-03f));
  q = S::fma(q, x2, S::set1(-7.37332916720468e-03f));
  q = S::fma(q, x2, S::set1(-1.42647390514189e-02f));
  return S::div(p, q);
}

// 1 / (1 + exp(-x)), computed from exp(-|x|) so it never overflows and keeps relative accuracy.
template <class S>
inline typename S::V sigmoid(typename S::V x) {
  using V = typename S::V;
  const V one = S::set1(1.0f);
  const V e = exp<S>(S::neg(S::abs(x)));
  const V pos = S::div(one, S::add(one, e));  // sigmoid(|x|)
  // sigmoid(-|x|) = e / (1 + e), not 1 - sigmoid(|x|), which cancels to 0 for large |x|.
  return S::select_negative(x, S::mul(e, pos), pos);
}

template <class S>
inline typename S::V silu(typename S::V x) {
  return S::mul(x, sigmoid<S>(x));
}

// tanh(x) = 2 * sigmoid(2x) - 1, accurate to a few ulp away from 0; near 0 a polynomial keeps
// relative accuracy.
template <class S>
inline typename S::V tanh(typename S::V x) {
  using V = typename S::V;
  const V two = S::set1(2.0f);
  const V viaSigmoid = S::sub(S::mul(two, sigmoid<S>(S::mul(two, x))), S::set1(1.0f));
  const V x2 = S::mul(x, x);
  // x - x^3/3 + 2x^5/15 - 17x^7/315 for |x| < 0.25
  V p = S::set1(-17.0f / 315.0f);
  p = S::fma(p, x2, S::set1(2.0f / 15.0f));
  p = S::fma(p, x2, S::set1(-1.0f / 3.0f));
  p = S::fma(S::mul(p, x2), x, x);
  return S::select_less(S::abs(x), S::set1(0.25f), p, viaSigmoid);
}

}  // namespace os::simd
