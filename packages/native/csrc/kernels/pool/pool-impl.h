#pragma once
#include <algorithm>
#include <limits>
#include <vector>

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

// max at unit stride, separably: the maxima of the window's rows per column over the padded width
// (the padding -inf), then of `kernel` shifted columns: rows + kernel loads per vector of outputs
// instead of rows * kernel, and no scalar border columns (YOLOv8n's 5x5 SPPF pools on 20x20 planes,
// four of whose columns are borders, took 3.5-5 times onnxruntime's time).
template <class S>
void pool_row_max_unit(const PoolRow& p, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const size_t span = (p.kernel - 1) * p.dilation;
  const size_t width = std::max(p.pad_begin + p.in_w + p.pad_end, p.out_w + span);
  thread_local std::vector<float> columns;
  columns.resize(width);
  float* col = columns.data();
  const float low = -std::numeric_limits<float>::infinity();
  std::fill(col, col + p.pad_begin, low);
  std::fill(col + p.pad_begin + p.in_w, col + width, low);
  float* mid = col + p.pad_begin;
  size_t j = 0;
  for (; j + N <= p.in_w; j += N) {
    V m = S::set1(low);
    for (size_t r = 0; r < p.nrows; r++) m = S::max(m, S::load(p.rows[r] + j));
    S::store(mid + j, m);
  }
  if (j < p.in_w) {
    const size_t t = p.in_w - j;
    V m = S::set1(low);
    for (size_t r = 0; r < p.nrows; r++) m = S::max(m, S::load_tail(p.rows[r] + j, t));
    S::store_tail(mid + j, m, t);
  }
  size_t ow = 0;
  for (; ow + N <= p.out_w; ow += N) {
    V m = S::load(col + ow);
    for (size_t k = 1; k < p.kernel; k++) m = S::max(m, S::load(col + ow + k * p.dilation));
    S::store(y + ow, m);
  }
  if (ow < p.out_w) {
    const size_t t = p.out_w - ow;
    V m = S::load_tail(col + ow, t);
    for (size_t k = 1; k < p.kernel; k++) m = S::max(m, S::load_tail(col + ow + k * p.dilation, t));
    S::store_tail(y + ow, m, t);
  }
}

template <class S>
void pool_row(const PoolRow& p, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  if (p.op == PoolOp::max && p.stride == 1) return pool_row_max_unit<S>(p, y);
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
