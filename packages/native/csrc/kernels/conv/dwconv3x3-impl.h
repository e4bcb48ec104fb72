// 3x3 depthwise convolution rows, once, over a SIMD vocabulary S (instantiated per ISA by
// dispatch/make-table.h).
#pragma once
#include <cstdint>

#include "../gemm/gemm-impl.h"
#include "dwconv3x3.h"

namespace os::impl {

// p[0 .. n) in a vector, the lanes from n on zero (n <= 0: all zero): a row's end reads as the zero
// padding past it, and nothing past it is read.
template <class S>
inline typename S::V dw3_load(const float* p, ptrdiff_t n) {
  if (n >= S::N) return S::load(p);
  return n > 0 ? S::load_tail(p, static_cast<size_t>(n)) : S::zero();
}

// Kernel column kx's inputs for an output vector whose lane 0 reads column b (r: the row at b;
// avail: floats of the row from b on, or more than the vector reads): columns b + kx + Stride *
// lane. Stride 2 takes the even lanes of the 2N floats from b + kx.
template <class S, size_t Stride, bool Part>
inline typename S::V dw3_taps(const float* r, size_t kx, ptrdiff_t avail) {
  constexpr ptrdiff_t N = S::N;
  const auto k = static_cast<ptrdiff_t>(kx);
  if constexpr (Stride == 1) {
    return Part ? dw3_load<S>(r + kx, avail - k) : S::load(r + kx);
  } else if constexpr (Part) {
    return S::even_lanes(dw3_load<S>(r + kx, avail - k), dw3_load<S>(r + kx + N, avail - k - N));
  } else {
    return S::even_lanes(S::load(r + kx), S::load(r + kx + N));
  }
}

// U vectors of outputs from R input rows (r[k]: row k at the first vector's column b) with their 3
// weights each, plus the bias and activation; the last vector stores `last` lanes. Part: the rows
// hold `avail` floats from b on, fewer than the vectors read.
template <class S, size_t Stride, size_t R, size_t U, bool Part, class Act>
inline void dw3_block(const float* const* r, ptrdiff_t avail, const typename S::V (&wv)[R][3], typename S::V bias,
                      Act act, size_t last, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V acc[U];
#pragma GCC unroll 8
  for (size_t u = 0; u < U; u++) acc[u] = bias;
#pragma GCC unroll 3
  for (size_t k = 0; k < R; k++) {
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
#pragma GCC unroll 8
      for (size_t u = 0; u < U; u++) {
        const ptrdiff_t at = static_cast<ptrdiff_t>(u * N * Stride);
        acc[u] = S::fma(dw3_taps<S, Stride, Part>(r[k] + at, kx, avail - at), wv[k][kx], acc[u]);
      }
    }
  }
#pragma GCC unroll 8
  for (size_t u = 0; u + 1 < U; u++) S::store(y + u * N, act(acc[u]));
  if (last == N) {
    S::store(y + (U - 1) * N, act(acc[U - 1]));
  } else {
    S::store_tail(y + (U - 1) * N, act(acc[U - 1]), last);
  }
}

// Output rows [oy0, oy1), whose input rows are all inside the plane except those of kernel rows
// below `first` (top padding) or from first + R on (bottom padding): R present rows each. Per row,
// the outputs whose first column lies in the left padding one at a time, then vectors reading the
// rows in place, four at a time where they can, the last ones with their reads past the row's end
// masked to zero (the right padding).
template <class S, size_t Stride, size_t R, class Act>
void dw3_rows(size_t oy0, size_t oy1, size_t first, size_t ow, size_t width, size_t pad_top, size_t pad, const float* x,
              const float* w, float bias, Act act, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V wv[R][3];
  for (size_t k = 0; k < R; k++) {
    for (size_t kx = 0; kx < 3; kx++) wv[k][kx] = S::set1(w[3 * (first + k) + kx]);
  }
  const V bv = S::set1(bias);
  const auto iw = static_cast<ptrdiff_t>(width);
  const size_t left = std::min(ow, (pad + Stride - 1) / Stride);
  for (size_t oy = oy0; oy < oy1; oy++) {
    const float* rows[R];
    for (size_t k = 0; k < R; k++) rows[k] = x + (Stride * oy + first + k - pad_top) * width;
    float* yr = y + oy * ow;
    for (size_t j = 0; j < left; j++) {
      // The same fused multiply-adds in the same order as a vector lane, on broadcast inputs.
      V acc = bv;
      for (size_t k = 0; k < R; k++) {
        for (size_t kx = 0; kx < 3; kx++) {
          const ptrdiff_t c = static_cast<ptrdiff_t>(Stride * j + kx) - static_cast<ptrdiff_t>(pad);
          acc = S::fma(S::set1(c >= 0 && c < iw ? rows[k][c] : 0.0f), wv[k][kx], acc);
        }
      }
      S::store_tail(yr + j, act(acc), 1);
    }
    const float* r[R];
    for (size_t j = left; j < ow;) {
      const auto b = static_cast<ptrdiff_t>(Stride * j - pad);
      for (size_t k = 0; k < R; k++) r[k] = rows[k] + b;
      const ptrdiff_t avail = iw - b;
      if (j + 4 * N <= ow && avail >= static_cast<ptrdiff_t>(4 * Stride * N + 2)) {
        dw3_block<S, Stride, R, 4, false>(r, avail, wv, bv, act, N, yr + j);
        j += 4 * N;
        continue;
      }
      const size_t last = std::min(N, ow - j);
      if (avail >= static_cast<ptrdiff_t>(Stride * N + 2)) {
        dw3_block<S, Stride, R, 1, false>(r, avail, wv, bv, act, last, yr + j);
      } else {
        dw3_block<S, Stride, R, 1, true>(r, avail, wv, bv, act, last, yr + j);
      }
      j += N;
    }
  }
}

template <class S, size_t Stride, class Act>
void dw3_plane(size_t oh, size_t ow, size_t height, size_t width, size_t pad_top, size_t pad_left, const float* x,
               const float* w, float bias, Act act, float* y) {
  // Output rows by the kernel rows they find inside the plane: row oy reads input rows
  // Stride * oy + ky - pad_top; bands of rows with the same present kernel rows run together.
  const auto mask = [&](size_t oy) {
    unsigned bits = 0;
    for (size_t ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = static_cast<ptrdiff_t>(Stride * oy + ky) - static_cast<ptrdiff_t>(pad_top);
      if (iy >= 0 && iy < static_cast<ptrdiff_t>(height)) bits |= 1u << ky;
    }
    return bits;
  };
  for (size_t oy0 = 0; oy0 < oh;) {
    // The present kernel rows are consecutive: `count` of them from `first`.
    const unsigned bits = mask(oy0);
    const size_t count = static_cast<size_t>(__builtin_popcount(bits));
    const size_t first = bits ? static_cast<size_t>(__builtin_ctz(bits)) : 0;
    size_t oy1 = oy0 + 1;
    while (oy1 < oh && mask(oy1) == bits) oy1++;
    switch (count) {
      case 3: dw3_rows<S, Stride, 3>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y); break;
      case 2: dw3_rows<S, Stride, 2>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y); break;
      case 1: dw3_rows<S, Stride, 1>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y); break;
      default: {
        // No input row inside the plane: the bias alone.
        const typename S::V v = act(S::set1(bias));
        for (size_t j = oy0 * ow; j < oy1 * ow; j++) S::store_tail(y + j, v, 1);
      }
    }
    oy0 = oy1;
  }
}

template <class S>
void dwconv3x3(size_t oh, size_t ow, size_t height, size_t width, size_t stride, size_t pad_top, size_t pad_left,
               const float* x, const float* w, float bias, int activation, float* y) {
  with_activation<S>(activation, [&](auto act) {
    if (stride == 2) return dw3_plane<S, 2>(oh, ow, height, width, pad_top, pad_left, x, w, bias, act, y);
    dw3_plane<S, 1>(oh, ow, height, width, pad_top, pad_left, x, w, bias, act, y);
  });
}

}  // namespace os::impl
