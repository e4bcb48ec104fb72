// Winograd F(2x2, 3x3) input and output transforms (kernels/conv/winograd.h), once, over a SIMD
// vocabulary S with zip_lo/zip_hi (lanes of two vectors interleaved; not needed for the scalar
// one), a vector of S::N consecutive tiles at a time. Instantiated by the tables of ISAs that use
// the Winograd path, and for simd::Scalar by the kernel tests (the reference they compare with).
#pragma once
#include "../gemm/gemm-impl.h"
#include "winograd.h"

namespace os::impl {

template <class S>
void wino_input_f23(size_t tiles, size_t channels, const float* even, const float* odd, size_t row_stride,
                    size_t channel_stride, float* dst, size_t ld, size_t xi_stride) {
  using V = typename S::V;
  for (size_t ch = 0; ch < channels; ch++, even += channel_stride, odd += channel_stride, dst += ld) {
    for (size_t t = 0; t < tiles; t += S::N) {
      // Rows first: w[r][j] = (d B)[r][j], d's columns t (even), t (odd), t + 1 (even), t + 1 (odd).
      V w[4][4];
#pragma GCC unroll 4
      for (size_t r = 0; r < 4; r++) {
        const float* e = even + r * row_stride + t;
        const float* o = odd + r * row_stride + t;
        const V d0 = S::load(e), d1 = S::load(o), d2 = S::load(e + 1), d3 = S::load(o + 1);
        w[r][0] = S::sub(d0, d2);
        w[r][1] = S::add(d1, d2);
        w[r][2] = S::sub(d2, d1);
        w[r][3] = S::sub(d1, d3);
      }
      float* out = dst + t;
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; j++) {
        S::store(out + (0 * 4 + j) * xi_stride, S::sub(w[0][j], w[2][j]));
        S::store(out + (1 * 4 + j) * xi_stride, S::add(w[1][j], w[2][j]));
        S::store(out + (2 * 4 + j) * xi_stride, S::sub(w[2][j], w[1][j]));
        S::store(out + (3 * 4 + j) * xi_stride, S::sub(w[1][j], w[3][j]));
      }
    }
  }
}

// Stores the interleaved lanes of a (even columns) and b (odd columns) at y, `width` floats at most.
template <class S>
inline void store_pairs(float* y, typename S::V a, typename S::V b, size_t width) {
  constexpr size_t N = S::N;
  if constexpr (N == 1) {
    y[0] = a;
    if (width > 1) y[1] = b;
  } else {
    const typename S::V lo = S::zip_lo(a, b), hi = S::zip_hi(a, b);
    if (width >= 2 * N) {
      S::store(y, lo);
      S::store(y + N, hi);
    } else if (width > N) {
      S::store(y, lo);
      S::store_tail(y + N, hi, width - N);
    } else if (width == N) {
      S::store(y, lo);
    } else {
      S::store_tail(y, lo, width);
    }
  }
}

template <class S, class Act>
void wino_output_tiles(size_t tiles, const float* m, size_t xi_stride, float bias, Act act, float* y0, float* y1,
                       size_t width) {
  using V = typename S::V;
  const V b = S::set1(bias);
  for (size_t t = 0; t < tiles; t += S::N) {
    // Rows first: r[i][j] = (A^T M)[i][j].
    V r[2][4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++) {
      const V m0 = S::load(m + (0 * 4 + j) * xi_stride + t), m1 = S::load(m + (1 * 4 + j) * xi_stride + t);
      const V m2 = S::load(m + (2 * 4 + j) * xi_stride + t), m3 = S::load(m + (3 * 4 + j) * xi_stride + t);
      r[0][j] = S::add(S::add(m0, m1), m2);
      r[1][j] = S::sub(S::sub(m1, m2), m3);
    }
    const size_t col = 2 * t;
    const size_t w = width - col;
#pragma GCC unroll 2
    for (size_t i = 0; i < 2; i++) {
      float* y = i == 0 ? y0 : y1;
      if (!y) continue;
      const V even = act(S::add(S::add(S::add(r[i][0], r[i][1]), r[i][2]), b));
      const V odd = act(S::add(S::sub(S::sub(r[i][1], r[i][2]), r[i][3]), b));
      store_pairs<S>(y + col, even, odd, w);
    }
  }
}

template <class S>
void wino_output_f23(size_t tiles, const float* m, size_t xi_stride, float bias, int activation, float* y0, float* y1,
                     size_t width) {
  with_activation<S>(activation,
                     [&](auto act) { wino_output_tiles<S>(tiles, m, xi_stride, bias, act, y0, y1, width); });
}

template <class S>
WinogradKernels winograd_kernels() {
  WinogradKernels k;
  k.step = S::N;
  k.input = &wino_input_f23<S>;
  k.output = &wino_output_f23<S>;
  return k;
}

}  // namespace os::impl
