// Depthwise convolution rows, once, over a SIMD vocabulary S (instantiated per ISA by
// dispatch/make-table.h).
#pragma once
#include <cstring>

#include "../gemm/gemm-impl.h"
#include "conv.h"

namespace os::impl {

template <class S, size_t U, class Act>
inline void dwconv_block(size_t w, size_t taps, const float* x, const ptrdiff_t* shifts, const float* wt, float bias,
                         Act act, float* y) {
  // U vectors of outputs accumulate over every tap in registers; `w` < N lanes for a tail block.
  using V = typename S::V;
  constexpr size_t N = S::N;
  V acc[U];
#pragma GCC unroll 8
  for (size_t u = 0; u < U; u++) acc[u] = S::set1(bias);
  for (size_t t = 0; t < taps; t++) {
    const V wv = S::set1(wt[t]);
    const float* xt = x + shifts[t];
#pragma GCC unroll 8
    for (size_t u = 0; u < U; u++) {
      const V xv = w == N ? S::load(xt + u * N) : S::load_tail(xt + u * N, w);
      acc[u] = S::fma(xv, wv, acc[u]);
    }
  }
#pragma GCC unroll 8
  for (size_t u = 0; u < U; u++) {
    if (w == N) {
      S::store(y + u * N, act(acc[u]));
    } else {
      S::store_tail(y + u * N, act(acc[u]), w);
    }
  }
}

template <class S>
void dwconv(size_t n, size_t taps, const float* x, const ptrdiff_t* shifts, const float* w, float bias, int activation,
            float* y) {
  constexpr size_t N = S::N;
  with_activation<S>(activation, [&](auto act) {
    size_t p = 0;
    for (; p + 4 * N <= n; p += 4 * N) dwconv_block<S, 4>(N, taps, x + p, shifts, w, bias, act, y + p);
    for (; p + N <= n; p += N) dwconv_block<S, 1>(N, taps, x + p, shifts, w, bias, act, y + p);
    if (p < n) dwconv_block<S, 1>(n - p, taps, x + p, shifts, w, bias, act, y + p);
  });
}

// dst[0 .. n) = 0 in vectors: the padding of a row is a float or two, not worth a memset call.
template <class S>
inline void zero_floats(float* dst, size_t n) {
  constexpr size_t N = S::N;
  size_t j = 0;
  for (; j + N <= n; j += N) S::store(dst + j, S::zero());
  if (j < n) S::store_tail(dst + j, S::zero(), n - j);
}

template <class S>
void pad_rows(size_t rows, const float* src, size_t src_pitch, size_t stride, size_t lead, size_t n, size_t pitch,
              float* dst) {
  constexpr size_t N = S::N;
  for (size_t r = 0; r < rows; r++, src += src_pitch, dst += pitch) {
    zero_floats<S>(dst, lead);
    float* d = dst + lead;
    if (stride == 1) {
      size_t j = 0;
      for (; j + N <= n; j += N) S::store(d + j, S::load(src + j));
      if (j < n) S::store_tail(d + j, S::load_tail(src + j, n - j), n - j);
    } else if (stride == 2) {
      // A plain loop: compiled with each ISA's flags, it vectorises into permutes of two loads.
      for (size_t j = 0; j < n; j++) d[j] = src[2 * j];
    } else {
      for (size_t j = 0; j < n; j++) d[j] = src[j * stride];
    }
    zero_floats<S>(d + n, pitch - lead - n);
  }
}

}  // namespace os::impl
