// The unary kernels, once, over a SIMD vocabulary S (instantiated per ISA by dispatch/make-table.h).
#pragma once
#include "../../common/simd/math.h"
#include "vunary.h"

namespace os::impl {

template <class S, class F>
inline void map_unary(size_t n, const float* x, float* y, F f) {
  size_t i = 0;
  for (; i + S::N <= n; i += S::N) S::store(y + i, f(S::load(x + i)));
  if (i < n) S::store_tail(y + i, f(S::load_tail(x + i, n - i)), n - i);
}

template <class S>
void vunary(UnaryOp op, size_t n, const float* x, float* y, float alpha, float beta) {
  using V = typename S::V;
  const V zero = S::zero();
  const V one = S::set1(1.0f);
  const V a = S::set1(alpha);
  const V b = S::set1(beta);
  switch (op) {
    case UnaryOp::relu: return map_unary<S>(n, x, y, [&](V v) { return S::max(v, zero); });
    case UnaryOp::sigmoid: return map_unary<S>(n, x, y, [](V v) { return simd::sigmoid<S>(v); });
    case UnaryOp::silu: return map_unary<S>(n, x, y, [](V v) { return simd::silu<S>(v); });
    case UnaryOp::tanh: return map_unary<S>(n, x, y, [](V v) { return simd::tanh<S>(v); });
    case UnaryOp::exp: return map_unary<S>(n, x, y, [](V v) { return simd::exp<S>(v); });
    case UnaryOp::neg: return map_unary<S>(n, x, y, [](V v) { return S::neg(v); });
    case UnaryOp::abs: return map_unary<S>(n, x, y, [](V v) { return S::abs(v); });
    case UnaryOp::sqrt: return map_unary<S>(n, x, y, [](V v) { return S::sqrt(v); });
    case UnaryOp::leaky_relu:
      return map_unary<S>(n, x, y, [&](V v) { return S::select_negative(v, S::mul(v, a), v); });
    case UnaryOp::clip: return map_unary<S>(n, x, y, [&](V v) { return S::min(S::max(v, a), b); });
    case UnaryOp::hard_sigmoid:
      return map_unary<S>(n, x, y, [&](V v) { return S::min(S::max(S::fma(v, a, b), zero), one); });
    case UnaryOp::hard_swish: {
      const V sixth = S::set1(1.0f / 6.0f);
      const V half = S::set1(0.5f);
      return map_unary<S>(n, x, y, [&](V v) { return S::mul(v, S::min(S::max(S::fma(v, sixth, half), zero), one)); });
    }
    case UnaryOp::reciprocal: return map_unary<S>(n, x, y, [&](V v) { return S::div(one, v); });
    case UnaryOp::erf: return map_unary<S>(n, x, y, [](V v) { return simd::erf<S>(v); });
    case UnaryOp::gelu: {
      const V half = S::set1(0.5f);
      const V inv_sqrt2 = S::set1(0.70710678118654752f);
      return map_unary<S>(n, x, y, [&](V v) {
        return S::mul(S::mul(v, half), S::add(one, simd::erf<S>(S::mul(v, inv_sqrt2))));
      });
    }
  }
}

}  // namespace os::impl
