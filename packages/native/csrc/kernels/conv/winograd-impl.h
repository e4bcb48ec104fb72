// Winograd F(4x4, 3x3) input and output transforms (kernels/conv/winograd.h), once, over a SIMD
// vocabulary S with zip_lo/zip_hi (lanes of two vectors interleaved; not needed for the scalar one,
// and AVX2 has its own store_quads), a vector of S::N consecutive tiles at a time. Instantiated by
// the tables of ISAs that use the Winograd path, and for simd::Scalar by the kernel tests (the
// reference they compare with).
#pragma once
#include "../gemm/gemm-impl.h"
#include "winograd.h"

namespace os::impl {

// w = B^T d for one line of 6 inputs, in 12 additions and 4 multiplications by constants.
template <class S>
inline void wino_input_line(const typename S::V (&d)[6], typename S::V (&w)[6]) {
  using V = typename S::V;
  const V four = S::set1(4.0f), two = S::set1(2.0f);
  const V t1 = S::fnma(four, d[2], d[4]), t2 = S::fnma(four, d[1], d[3]);
  const V t3 = S::sub(d[4], d[2]), t4 = S::mul(two, S::sub(d[3], d[1]));
  w[0] = S::fma(four, S::sub(d[0], d[2]), t3);
  w[1] = S::add(t1, t2);
  w[2] = S::sub(t1, t2);
  w[3] = S::add(t3, t4);
  w[4] = S::sub(t3, t4);
  w[5] = S::fma(four, S::sub(d[1], d[3]), S::sub(d[5], d[3]));
}

// y = A^T m for one line of 6 products.
template <class S>
inline void wino_output_line(const typename S::V (&m)[6], typename S::V (&y)[4]) {
  const typename S::V a = S::add(m[1], m[2]), b = S::sub(m[1], m[2]);
  const typename S::V c = S::add(m[3], m[4]), d = S::sub(m[3], m[4]);
  y[0] = S::add(S::add(m[0], a), c);
  y[1] = S::fma(S::set1(2.0f), d, b);
  y[2] = S::fma(S::set1(4.0f), c, a);
  y[3] = S::add(S::fma(S::set1(8.0f), d, b), m[5]);
}

template <class S>
void wino_input_f43(size_t tiles, size_t channels, const float* planes, size_t phase_stride, size_t row_stride,
                    size_t channel_stride, float* dst, size_t ld, size_t xi_stride) {
  using V = typename S::V;
  const size_t ps = phase_stride;
  for (size_t ch = 0; ch < channels; ch++, planes += channel_stride, dst += ld) {
    for (size_t t = 0; t < tiles; t += S::N) {
      // Rows first: w[r] = d[r] B; padded column j of tile t is phase j % 4, entry t + j / 4.
      V w[6][6];
#pragma GCC unroll 6
      for (size_t r = 0; r < 6; r++) {
        const float* p = planes + r * row_stride + t;
        const V d[6] = {S::load(p), S::load(p + ps), S::load(p + 2 * ps), S::load(p + 3 * ps), S::load(p + 1),
                        S::load(p + ps + 1)};
        wino_input_line<S>(d, w[r]);
      }
      float* out = dst + t;
#pragma GCC unroll 6
      for (size_t j = 0; j < 6; j++) {
        const V col[6] = {w[0][j], w[1][j], w[2][j], w[3][j], w[4][j], w[5][j]};
        V v[6];
        wino_input_line<S>(col, v);
        for (size_t i = 0; i < 6; i++) S::store(out + (6 * i + j) * xi_stride, v[i]);
      }
    }
  }
}

// Stores the lanes of v[0..3] (output columns 4t to 4t + 3 of the vector's tiles t) interleaved at
// y: y[4t + k] = v[k][t], `width` floats at most.
template <class S>
inline void store_quads(float* y, const typename S::V (&v)[4], size_t width) {
  constexpr size_t N = S::N;
  if constexpr (N == 1) {
    for (size_t k = 0; k < 4 && k < width; k++) y[k] = v[k];
  } else {
    static_assert(N == 4, "the interleave is a 4x4 transpose");
    const typename S::V ac_lo = S::zip_lo(v[0], v[2]), bd_lo = S::zip_lo(v[1], v[3]);
    const typename S::V ac_hi = S::zip_hi(v[0], v[2]), bd_hi = S::zip_hi(v[1], v[3]);
    const typename S::V q[4] = {S::zip_lo(ac_lo, bd_lo), S::zip_hi(ac_lo, bd_lo), S::zip_lo(ac_hi, bd_hi),
                                S::zip_hi(ac_hi, bd_hi)};
    for (size_t k = 0; k < 4 && k * N < width; k++) {
      if (width >= (k + 1) * N) {
        S::store(y + k * N, q[k]);
      } else {
        S::store_tail(y + k * N, q[k], width - k * N);
      }
    }
  }
}

#if defined(__AVX2__)
}  // namespace os::impl
#include "../../common/simd/avx2.h"
namespace os::impl {
// AVX2's unpacks interleave within 128-bit halves: the 4x4 interleave of each half (tiles 0-3 and
// 4-7 of the vector, as SIMD128's zips make it), then the halves put in tile order.
template <>
inline void store_quads<simd::Avx2>(float* y, const __m256 (&v)[4], size_t width) {
  const __m256 a = _mm256_unpacklo_ps(v[0], v[2]), b = _mm256_unpacklo_ps(v[1], v[3]);
  const __m256 c = _mm256_unpackhi_ps(v[0], v[2]), d = _mm256_unpackhi_ps(v[1], v[3]);
  // Tiles (0, 4), (1, 5), (2, 6) and (3, 7): low half, high half.
  const __m256 t04 = _mm256_unpacklo_ps(a, b), t15 = _mm256_unpackhi_ps(a, b);
  const __m256 t26 = _mm256_unpacklo_ps(c, d), t37 = _mm256_unpackhi_ps(c, d);
  const __m256 q[4] = {_mm256_permute2f128_ps(t04, t15, 0x20), _mm256_permute2f128_ps(t26, t37, 0x20),
                       _mm256_permute2f128_ps(t04, t15, 0x31), _mm256_permute2f128_ps(t26, t37, 0x31)};
  for (size_t k = 0; k < 4 && k * 8 < width; k++) {
    if (width >= (k + 1) * 8) {
      simd::Avx2::store(y + k * 8, q[k]);
    } else {
      simd::Avx2::store_tail(y + k * 8, q[k], width - k * 8);
    }
  }
}
#endif

template <class S, class Act>
void wino_output_tiles(size_t tiles, const float* m, size_t xi_stride, float bias, Act act, float* y,
                       size_t y_stride, size_t rows, size_t width) {
  using V = typename S::V;
  const V b = S::set1(bias);
  for (size_t t = 0; t < tiles; t += S::N) {
    // Columns first: r[i][j] = (A^T M)[i][j].
    V r[4][6];
#pragma GCC unroll 6
    for (size_t j = 0; j < 6; j++) {
      V col[6];
      for (size_t i = 0; i < 6; i++) col[i] = S::load(m + (6 * i + j) * xi_stride + t);
      V out[4];
      wino_output_line<S>(col, out);
      for (size_t i = 0; i < 4; i++) r[i][j] = out[i];
    }
    const size_t col = 4 * t;
    for (size_t i = 0; i < rows; i++) {
      V out[4];
      wino_output_line<S>(r[i], out);
      for (V& o : out) o = act(S::add(o, b));
      store_quads<S>(y + i * y_stride + col, out, width - col);
    }
  }
}

template <class S>
void wino_output_f43(size_t tiles, const float* m, size_t xi_stride, float bias, int activation, float* y,
                     size_t y_stride, size_t rows, size_t width) {
  with_activation<S>(activation, [&](auto act) {
    wino_output_tiles<S>(tiles, m, xi_stride, bias, act, y, y_stride, rows, width);
  });
}

template <class S>
WinogradKernels winograd_kernels() {
  WinogradKernels k;
  k.step = S::N;
  k.input = &wino_input_f43<S>;
  k.output = &wino_output_f43<S>;
  return k;
}

}  // namespace os::impl
