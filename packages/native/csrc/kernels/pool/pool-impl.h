#pragma once
#include <algorithm>
#include <limits>

#include "pool.h"

namespace os::impl {

// Output columns [lo, hi) whose whole window lies inside the input row.
inline void pool_interior(const PoolRow& p, size_t* lo, size_t* hi) {
  const size_t span = (p.kernel - 1) * p.dilation;
  *lo = std::min(p.out_w, (p.pad_begin + p.stride - 1) / p.stride);
  *hi = *lo;
  if (p.in_w + p.pad_begin > span) *hi = std::max(*lo, std::min(p.out_w, (p.in_w - 1 + p.pad_begin - span) / p.stride + 1));
}

// One output column with bounds checks: the borders, and the interior when the stride is not 1.
inline float pool_column(const PoolRow& p, size_t ow) {
  const long long start = static_cast<long long>(ow * p.stride) - static_cast<long long>(p.pad_begin);
  const long long w = static_cast<long long>(p.in_w);
  float acc = p.op == PoolOp::max ? -std::numeric_limits<float>::infinity() : 0.0f;
  size_t inside = 0, padded = 0;
  for (size_t k = 0; k < p.kernel; k++) {
    const long long iw = start + static_cast<long long>(k * p.dilation);
    if (iw >= -static_cast<long long>(p.pad_begin) && iw < w + static_cast<long long>(p.pad_end)) padded++;
    if (iw < 0 || iw >= w) continue;
    inside++;
    for (size_t r = 0; r < p.nrows; r++) {
      const float v = p.rows[r][iw];
      acc = p.op == PoolOp::max ? (acc < v ? v : acc) : acc + v;
    }
  }
  if (p.op == PoolOp::max) return acc;
  return acc / static_cast<float>(p.hcount * (p.include_pad ? padded : inside));
}

template <class S>
void pool_row(const PoolRow& p, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  size_t lo, hi;
  pool_interior(p, &lo, &hi);
  for (size_t ow = 0; ow < lo; ow++) y[ow] = pool_column(p, ow);
  if (p.stride != 1) {
    for (size_t ow = lo; ow < hi; ow++) y[ow] = pool_column(p, ow);
  } else {
    // Unit stride: N adjacent outputs read N adjacent inputs per tap, all inside the row.
    const bool max = p.op == PoolOp::max;
    const V init = max ? S::set1(-std::numeric_limits<float>::infinity()) : S::zero();
    const V inv = S::set1(1.0f / static_cast<float>(p.hcount * p.kernel));
    const size_t off = lo - p.pad_begin;  // input column of output lo's first tap
    size_t ow = lo;
    for (; ow + N <= hi; ow += N) {
      V acc = init;
      for (size_t r = 0; r < p.nrows; r++) {
        const float* src = p.rows[r] + off + (ow - lo);
        for (size_t k = 0; k < p.kernel; k++) {
          const V v = S::load(src + k * p.dilation);
          acc = max ? S::max(acc, v) : S::add(acc, v);
        }
      }
      S::store(y + ow, max ? acc : S::mul(acc, inv));
    }
    if (ow < hi) {
      const size_t t = hi - ow;
      V acc = init;
      for (size_t r = 0; r < p.nrows; r++) {
        const float* src = p.rows[r] + off + (ow - lo);
        for (size_t k = 0; k < p.kernel; k++) {
          const V v = S::load_tail(src + k * p.dilation, t);
          acc = max ? S::max(acc, v) : S::add(acc, v);
        }
      }
      S::store_tail(y + ow, max ? acc : S::mul(acc, inv), t);
    }
  }
  for (size_t ow = hi; ow < p.out_w; ow++) y[ow] = pool_column(p, ow);
}

template <class S>
float pool_global(PoolOp op, size_t n, const float* x) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  size_t i = 0;
  if (op == PoolOp::max) {
    V m = S::set1(-std::numeric_limits<float>::infinity());
    for (; i + N <= n; i += N) m = S::max(m, S::load(x + i));
    float r = S::reduce_max(m);
    for (; i < n; i++) r = r < x[i] ? x[i] : r;
    return r;
  }
  V s0 = S::zero(), s1 = S::zero();
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = S::add(s0, S::load(x + i));
    s1 = S::add(s1, S::load(x + i + N));
  }
  if (i + N <= n) {
    s0 = S::add(s0, S::load(x + i));
    i += N;
  }
  double s = S::reduce_add(S::add(s0, s1));
  for (; i < n; i++) s += x[i];
  return static_cast<float>(s / static_cast<double>(n));
}

}  // namespace os::impl
