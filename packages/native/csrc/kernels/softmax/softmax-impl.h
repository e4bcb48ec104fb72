// Softmax over a SIMD vocabulary S: max, exp-and-sum, normalise, each pass vectorised along the
// contiguous direction (the line itself when inner = 1, else across lines).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "../../common/simd/math.h"
#include "softmax.h"

namespace os::impl {

// Lines handled together by softmax_cols: their running max and sum stay in two small arrays.
constexpr size_t kSoftmaxCols = 256;

template <class S>
void softmax_row(size_t n, const float* x, float* y, bool log) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const float ninf = -std::numeric_limits<float>::infinity();
  V vmax = S::set1(ninf);
  size_t i = 0;
  for (; i + N <= n; i += N) vmax = S::max(vmax, S::load(x + i));
  float mx = S::reduce_max(vmax);
  for (; i < n; i++) mx = std::max(mx, x[i]);
  if (mx == ninf) {
    // Every value is -inf (masked) or NaN, which the max skips on x86 and in scalar code: a line
    // holding NaN is NaN, as on NEON (whose max propagates it) and in the reference.
    bool nan = false;
    for (size_t j = 0; j < n; j++) nan = nan || x[j] != x[j];
    const float fill = nan ? std::numeric_limits<float>::quiet_NaN() : log ? ninf : 0.0f;
    for (size_t j = 0; j < n; j++) y[j] = fill;
    return;
  }
  const V m = S::set1(mx);
  V vsum = S::zero();
  i = 0;
  for (; i + N <= n; i += N) {
    const V e = simd::exp<S>(S::sub(S::load(x + i), m));
    if (!log) S::store(y + i, e);
    vsum = S::add(vsum, e);
  }
  if (i < n) {
    // Masked-off lanes of the tail load are 0, whose exp must not enter the sum: zero them again.
    const size_t t = n - i;
    const V e = simd::exp<S>(S::sub(S::load_tail(x + i, t), m));
    float buf[N];
    S::store(buf, e);
    for (size_t j = t; j < N; j++) buf[j] = 0.0f;
    const V et = S::load(buf);
    if (!log) S::store_tail(y + i, et, t);
    vsum = S::add(vsum, et);
  }
  const float sum = S::reduce_add(vsum);
  i = 0;
  if (log) {
    // (x - max) - log(sum): x - max is exact near the max, where the result is a small negative
    // number that x - (max + log(sum)) would lose to the rounding of max + log(sum).
    const V ls = S::set1(std::log(sum));
    for (; i + N <= n; i += N) S::store(y + i, S::sub(S::sub(S::load(x + i), m), ls));
    if (i < n) S::store_tail(y + i, S::sub(S::sub(S::load_tail(x + i, n - i), m), ls), n - i);
  } else {
    const V r = S::set1(1.0f / sum);
    for (; i + N <= n; i += N) S::store(y + i, S::mul(S::load(y + i), r));
    if (i < n) S::store_tail(y + i, S::mul(S::load_tail(y + i, n - i), r), n - i);
  }
}

template <class S>
void softmax_block(size_t n, size_t inner, size_t w, const float* x, float* y, bool log) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const float ninf = -std::numeric_limits<float>::infinity();
  alignas(64) float m[kSoftmaxCols];
  alignas(64) float s[kSoftmaxCols];
  const size_t full = w / N * N;
  const size_t t = w - full;
  for (size_t c = 0; c < w; c++) m[c] = ninf;
  for (size_t j = 0; j < n; j++) {
    const float* r = x + j * inner;
    for (size_t c = 0; c < full; c += N) S::store(m + c, S::max(S::load(m + c), S::load(r + c)));
    for (size_t c = full; c < w; c++) m[c] = std::max(m[c], r[c]);
  }
  // A fully masked line gets max 0 for the passes below and zeros (or -inf) at the end. The lines
  // are looked at one by one only when one is (a loop over per-line flags was half of UltraFace's
  // softmax over 4420 lines of 2).
  int masked = 0;
  for (size_t c = 0; c < w; c++) masked |= m[c] == ninf;
  bool dead[kSoftmaxCols];
  if (masked) {
    for (size_t c = 0; c < w; c++) {
      dead[c] = m[c] == ninf;
      if (dead[c]) m[c] = 0.0f;
    }
  }
  for (size_t c = 0; c < w; c++) s[c] = 0.0f;
  for (size_t j = 0; j < n; j++) {
    const float* r = x + j * inner;
    float* o = y + j * inner;
    for (size_t c = 0; c < full; c += N) {
      const V e = simd::exp<S>(S::sub(S::load(r + c), S::load(m + c)));
      if (!log) S::store(o + c, e);
      S::store(s + c, S::add(S::load(s + c), e));
    }
    if (t) {
      const V e = simd::exp<S>(S::sub(S::load_tail(r + full, t), S::load_tail(m + full, t)));
      if (!log) S::store_tail(o + full, e, t);
      S::store_tail(s + full, S::add(S::load_tail(s + full, t), e), t);
    }
  }
  if (log) {
    for (size_t c = 0; c < w; c++) s[c] = std::log(s[c]);
  } else {
    for (size_t c = 0; c < w; c++) s[c] = 1.0f / s[c];
  }
  for (size_t j = 0; j < n; j++) {
    const float* r = x + j * inner;
    float* o = y + j * inner;
    for (size_t c = 0; c < full; c += N) {
      // Log: (x - max) - log(sum), as in softmax_row.
      S::store(o + c, log ? S::sub(S::sub(S::load(r + c), S::load(m + c)), S::load(s + c))
                          : S::mul(S::load(o + c), S::load(s + c)));
    }
    if (t) {
      const V v = log ? S::sub(S::sub(S::load_tail(r + full, t), S::load_tail(m + full, t)), S::load_tail(s + full, t))
                      : S::mul(S::load_tail(o + full, t), S::load_tail(s + full, t));
      S::store_tail(o + full, v, t);
    }
  }
  if (masked) {
    for (size_t c = 0; c < w; c++) {
      // A line of -inf and NaN (the max skips NaN on x86 and in scalar code) is not masked: exp(NaN)
      // made its sum NaN and every output the passes wrote NaN, as in the reference.
      if (!dead[c] || s[c] != s[c]) continue;
      for (size_t j = 0; j < n; j++) y[j * inner + c] = log ? ninf : 0.0f;
    }
  }
}

template <class S>
void softmax_cols(size_t n, size_t stride, size_t w, const float* x, float* y, bool log) {
  for (size_t c = 0; c < w; c += kSoftmaxCols) {
    softmax_block<S>(n, stride, std::min(kSoftmaxCols, w - c), x + c, y + c, log);
  }
}

}  // namespace os::impl
