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

// The same for a kernel of T taps known at compile time (3x3): the taps' weights stay in
// registers and their row pointers in general registers across the whole run, so that an output
// vector costs T loads-and-FMAs and little else (the generic loop reloads the weight, the shift and
// the pointer per tap and block: under callgrind, AVX2, 16x120x160, 3.4 instructions per FMA against
// 1.5).
template <class S, size_t T, size_t U, class Act>
inline void dwconv_fixed_block(size_t w, const float* const (&xt)[T], size_t p, const typename S::V (&wv)[T],
                               float bias, Act act, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V acc[U];
#pragma GCC unroll 8
  for (size_t u = 0; u < U; u++) acc[u] = S::set1(bias);
#pragma GCC unroll 16
  for (size_t t = 0; t < T; t++) {
#pragma GCC unroll 8
    for (size_t u = 0; u < U; u++) {
      const V xv = w == N ? S::load(xt[t] + p + u * N) : S::load_tail(xt[t] + p + u * N, w);
      acc[u] = S::fma(xv, wv[t], acc[u]);
    }
  }
#pragma GCC unroll 8
  for (size_t u = 0; u < U; u++) {
    if (w == N) {
      S::store(y + p + u * N, act(acc[u]));
    } else {
      S::store_tail(y + p + u * N, act(acc[u]), w);
    }
  }
}

template <class S, size_t T, class Act>
void dwconv_fixed(size_t n, const float* x, const ptrdiff_t* shifts, const float* w, float bias, Act act, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V wv[T];
  const float* xt[T];
#pragma GCC unroll 16
  for (size_t t = 0; t < T; t++) {
    wv[t] = S::set1(w[t]);
    xt[t] = x + shifts[t];
  }
  size_t p = 0;
  for (; p + 4 * N <= n; p += 4 * N) dwconv_fixed_block<S, T, 4>(N, xt, p, wv, bias, act, y);
  for (; p + N <= n; p += N) dwconv_fixed_block<S, T, 1>(N, xt, p, wv, bias, act, y);
  if (p < n) dwconv_fixed_block<S, T, 1>(n - p, xt, p, wv, bias, act, y);
}

template <class S>
void dwconv(size_t n, size_t taps, const float* x, const ptrdiff_t* shifts, const float* w, float bias, int activation,
            float* y) {
  constexpr size_t N = S::N;
  with_activation<S>(activation, [&](auto act) {
    if (taps == 9) return dwconv_fixed<S, 9>(n, x, shifts, w, bias, act, y);
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
      // Even lanes of two loads (clang (emcc) left the plain loop scalar for SIMD128). A vector
      // reads one float past its last even lane: it stops while that float is still one of n.
      size_t j = 0;
      for (; j + N < n; j += N) S::store(d + j, S::even_lanes(S::load(src + 2 * j), S::load(src + 2 * j + N)));
      for (; j < n; j++) d[j] = src[2 * j];
    } else if (stride == 4) {
      // Winograd F(4x4)'s column phases (ops/conv.cc): lanes 0 and 2 of lanes 0 and 2. A vector
      // reads three floats past its last lane, which the guard keeps among the n.
      size_t j = 0;
      const auto pick = [&](const float* p) { return S::even_lanes(S::load(p), S::load(p + N)); };
      for (; j + N < n; j += N) S::store(d + j, S::even_lanes(pick(src + 4 * j), pick(src + 4 * j + 2 * N)));
      for (; j < n; j++) d[j] = src[4 * j];
    } else {
      for (size_t j = 0; j < n; j++) d[j] = src[j * stride];
    }
    zero_floats<S>(d + n, pitch - lead - n);
  }
}

}  // namespace os::impl
