#pragma once
#include <algorithm>

#include "norm.h"

namespace os::impl {

template <class S>
void norm_sums(size_t n, const float* x, float center, double* sum, double* sumsq) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  // Float partial sums over at most this many values per lane before they move to double.
  constexpr size_t kChunk = 256 * N;
  const V c = S::set1(center);
  double s = 0.0, q = 0.0;
  size_t i = 0;
  while (i < n) {
    const size_t end = std::min(n, i + kChunk);
    V s0 = S::zero(), s1 = S::zero(), q0 = S::zero(), q1 = S::zero();
    for (; i + 2 * N <= end; i += 2 * N) {
      const V d0 = S::sub(S::load(x + i), c);
      const V d1 = S::sub(S::load(x + i + N), c);
      s0 = S::add(s0, d0);
      s1 = S::add(s1, d1);
      q0 = S::fma(d0, d0, q0);
      q1 = S::fma(d1, d1, q1);
    }
    for (; i + N <= end; i += N) {
      const V d = S::sub(S::load(x + i), c);
      s0 = S::add(s0, d);
      q0 = S::fma(d, d, q0);
    }
    s += static_cast<double>(S::reduce_add(S::add(s0, s1)));
    q += static_cast<double>(S::reduce_add(S::add(q0, q1)));
    for (; i < end; i++) {
      const double d = static_cast<double>(x[i]) - center;
      s += d;
      q += d * d;
    }
  }
  *sum = s;
  *sumsq = q;
}

template <class S>
void norm_affine(size_t n, const float* x, float* y, float mean, float k, float shift) {
  using V = typename S::V;
  const V m = S::set1(mean), vk = S::set1(k), b = S::set1(shift);
  size_t i = 0;
  for (; i + S::N <= n; i += S::N) S::store(y + i, S::fma(S::sub(S::load(x + i), m), vk, b));
  if (i < n) S::store_tail(y + i, S::fma(S::sub(S::load_tail(x + i, n - i), m), vk, b), n - i);
}

template <class S>
void norm_row(size_t n, const float* x, float* y, float mean, float inv, const float* scale, const float* bias) {
  using V = typename S::V;
  const V m = S::set1(mean), vi = S::set1(inv);
  size_t i = 0;
  for (; i + S::N <= n; i += S::N) {
    const V t = S::mul(S::sub(S::load(x + i), m), vi);
    S::store(y + i, bias ? S::fma(t, S::load(scale + i), S::load(bias + i)) : S::mul(t, S::load(scale + i)));
  }
  if (i < n) {
    const size_t r = n - i;
    const V t = S::mul(S::sub(S::load_tail(x + i, r), m), vi);
    const V sc = S::load_tail(scale + i, r);
    S::store_tail(y + i, bias ? S::fma(t, sc, S::load_tail(bias + i, r)) : S::mul(t, sc), r);
  }
}

}  // namespace os::impl
