// 3x3 depthwise convolution rows, once, over a SIMD vocabulary S (instantiated per ISA by
// dispatch/make-table.h).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

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
// lane. Stride 2 takes the even lanes of the 2N floats from b + kx, in even_lanes_grouped's order:
// the sums go back in order once, before they are stored (dw3_out).
template <class S, size_t Stride, bool Part>
inline typename S::V dw3_taps(const float* r, size_t kx, ptrdiff_t avail) {
  constexpr ptrdiff_t N = S::N;
  const auto k = static_cast<ptrdiff_t>(kx);
  if constexpr (Stride == 1) {
    return Part ? dw3_load<S>(r + kx, avail - k) : S::load(r + kx);
  } else if constexpr (Part) {
    return S::even_lanes_grouped(dw3_load<S>(r + kx, avail - k), dw3_load<S>(r + kx + N, avail - k - N));
  } else {
    return S::even_lanes_grouped(S::load(r + kx), S::load(r + kx + N));
  }
}

// A sum of dw3_taps vectors, its lanes in output order (AVX2, stride 2: one vpermpd per vector of
// outputs instead of one per tap).
template <class S, size_t Stride>
inline typename S::V dw3_out(typename S::V v) {
  if constexpr (Stride == 2) return S::ungroup(v);
  return v;
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
  for (size_t u = 0; u + 1 < U; u++) S::store(y + u * N, act(dw3_out<S, Stride>(acc[u])));
  if (last == N) {
    S::store(y + (U - 1) * N, act(dw3_out<S, Stride>(acc[U - 1])));
  } else {
    S::store_tail(y + (U - 1) * N, act(dw3_out<S, Stride>(acc[U - 1])), last);
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

// One output (oy, j) of a stride-1 plane, every kernel row inside it (rows: its 3 input rows): the
// same fused multiply-adds in the same order as a lane of dw3_flat, on broadcast inputs.
template <class S, class Act>
inline void dw3_one(const float* const* rows, size_t j, size_t width, const typename S::V (&wv)[3][3],
                    typename S::V bias, Act act, float* y) {
  typename S::V acc = bias;
  for (size_t k = 0; k < 3; k++) {
    for (size_t kx = 0; kx < 3; kx++) {
      const ptrdiff_t c = static_cast<ptrdiff_t>(j + kx) - 1;
      acc = S::fma(S::set1(c >= 0 && c < static_cast<ptrdiff_t>(width) ? rows[k][c] : 0.0f), wv[k][kx], acc);
    }
  }
  S::store_tail(y, act(acc), 1);
}

// Output rows [oy0, oy1) of a stride-1 "same" plane (pad_left 1, ow = width) whose kernel rows are all
// inside it, as one flat run of outputs: tap (ky, kx) of output o is input o + (ky - pad_top) * width
// + kx - 1, its reads across a row's end masked to zero by the lane's column (a lane computes what
// dw3_rows computes, bit for bit). Narrow rows run whole vectors instead of a vector tail and a
// left-padding output per row (AVX2, one thread: UltraFace's 15x20 planes 1.4 times faster). The
// run's first and last outputs read one float outside the rows (masked): they go one at a time.
template <class S, class Act>
void dw3_flat(size_t oy0, size_t oy1, size_t width, size_t pad_top, const float* x, const float* w, float bias,
              Act act, float* y) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V wv[3][3];
  for (size_t k = 0; k < 3; k++) {
    for (size_t kx = 0; kx < 3; kx++) wv[k][kx] = S::set1(w[3 * k + kx]);
  }
  const V bv = S::set1(bias);
  const auto row = [&](size_t oy, size_t k) { return x + (oy + k - pad_top) * width; };
  const float* first[3] = {row(oy0, 0), row(oy0, 1), row(oy0, 2)};
  const float* last[3] = {row(oy1 - 1, 0), row(oy1 - 1, 1), row(oy1 - 1, 2)};
  dw3_one<S>(first, 0, width, wv, bv, act, y + oy0 * width);
  const size_t begin = oy0 * width + 1, end = oy1 * width - 1;
  if (end > begin) {
    // Lane columns of the first vector, advanced by N columns a vector.
    float cols[N];
    for (size_t i = 0; i < N; i++) cols[i] = static_cast<float>((begin + i) % width);
    V col = S::load(cols);
    const V step = S::set1(static_cast<float>(N % width)), wrap = S::set1(static_cast<float>(width));
    const V first_col = S::set1(0.5f), last_col = S::set1(static_cast<float>(width) - 1.5f), zero = S::zero();
    // Input of tap (k, kx) for output o: base[k] + o + kx.
    const ptrdiff_t shift = -static_cast<ptrdiff_t>(pad_top * width) - 1;
    const float* base[3] = {x + shift, x + shift + width, x + shift + 2 * width};
    const auto next = [&](V c) {
      const V d = S::add(c, step);
      return S::select_less(d, wrap, d, S::sub(d, wrap));
    };
    // U vectors from output o (the last one `n` lanes), independent sums interleaved.
    const auto block = [&](auto u_const, size_t o, ptrdiff_t n) {
      constexpr size_t U = decltype(u_const)::value;
      V c[U], acc[U];
      c[0] = col;
      for (size_t u = 1; u < U; u++) c[u] = next(c[u - 1]);
      col = next(c[U - 1]);
      for (size_t u = 0; u < U; u++) acc[u] = bv;
      for (size_t k = 0; k < 3; k++) {
        const float* r = base[k] + o;
        for (size_t u = 0; u < U; u++) {
          const ptrdiff_t m = u + 1 < U ? static_cast<ptrdiff_t>(N) : n;
          acc[u] = S::fma(S::select_less(c[u], first_col, zero, dw3_load<S>(r + u * N, m)), wv[k][0], acc[u]);
        }
        for (size_t u = 0; u < U; u++) {
          const ptrdiff_t m = u + 1 < U ? static_cast<ptrdiff_t>(N) : n;
          acc[u] = S::fma(dw3_load<S>(r + u * N + 1, m), wv[k][1], acc[u]);
        }
        for (size_t u = 0; u < U; u++) {
          const ptrdiff_t m = u + 1 < U ? static_cast<ptrdiff_t>(N) : n;
          acc[u] = S::fma(S::select_less(c[u], last_col, dw3_load<S>(r + u * N + 2, m), zero), wv[k][2], acc[u]);
        }
      }
      for (size_t u = 0; u + 1 < U; u++) S::store(y + o + u * N, act(acc[u]));
      if (n == static_cast<ptrdiff_t>(N)) {
        S::store(y + o + (U - 1) * N, act(acc[U - 1]));
      } else {
        S::store_tail(y + o + (U - 1) * N, act(acc[U - 1]), static_cast<size_t>(n));
      }
    };
    size_t o = begin;
    for (; o + 4 * N <= end; o += 4 * N) block(std::integral_constant<size_t, 4>{}, o, static_cast<ptrdiff_t>(N));
    for (; o < end; o += N) block(std::integral_constant<size_t, 1>{}, o, static_cast<ptrdiff_t>(std::min(N, end - o)));
  }
  if (oy1 * width - 1 > oy0 * width) dw3_one<S>(last, width - 1, width, wv, bv, act, y + oy1 * width - 1);
}

// Rows narrower than this run flat (dw3_flat) where they can; wider ones as rows of 4-vector blocks.
constexpr size_t kDw3FlatWidth = 64;

// Output rows by the kernel rows they find inside the plane: row oy reads input rows Stride * oy +
// ky - pad_top. Calls band(oy0, oy1, count, first) for each band of rows with the same present
// kernel rows, `count` consecutive ones from `first`.
template <size_t Stride, class Band>
void dw3_bands(size_t oh, size_t height, size_t pad_top, Band band) {
  const auto mask = [&](size_t oy) {
    unsigned bits = 0;
    for (size_t ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = static_cast<ptrdiff_t>(Stride * oy + ky) - static_cast<ptrdiff_t>(pad_top);
      if (iy >= 0 && iy < static_cast<ptrdiff_t>(height)) bits |= 1u << ky;
    }
    return bits;
  };
  for (size_t oy0 = 0; oy0 < oh;) {
    const unsigned bits = mask(oy0);
    const size_t count = static_cast<size_t>(__builtin_popcount(bits));
    const size_t first = bits ? static_cast<size_t>(__builtin_ctz(bits)) : 0;
    size_t oy1 = oy0 + 1;
    while (oy1 < oh && mask(oy1) == bits) oy1++;
    band(oy0, oy1, count, first);
    oy0 = oy1;
  }
}

// Output rows [oy0, oy1) of a plane with no kernel row inside it: the bias alone.
template <class S, class Act>
void dw3_bias_rows(size_t oy0, size_t oy1, size_t ow, float bias, Act act, float* y) {
  const typename S::V v = act(S::set1(bias));
  for (size_t j = oy0 * ow; j < oy1 * ow; j++) S::store_tail(y + j, v, 1);
}

template <class S, size_t Stride, class Act>
void dw3_plane(size_t oh, size_t ow, size_t height, size_t width, size_t pad_top, size_t pad_left, const float* x,
               const float* w, float bias, Act act, float* y) {
  dw3_bands<Stride>(oh, height, pad_top, [&](size_t oy0, size_t oy1, size_t count, size_t first) {
    if (Stride == 1 && count == 3 && pad_left == 1 && ow == width && width < kDw3FlatWidth) {
      return dw3_flat<S>(oy0, oy1, width, pad_top, x, w, bias, act, y);
    }
    switch (count) {
      case 3: return dw3_rows<S, Stride, 3>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y);
      case 2: return dw3_rows<S, Stride, 2>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y);
      case 1: return dw3_rows<S, Stride, 1>(oy0, oy1, first, ow, width, pad_top, pad_left, x, w, bias, act, y);
      default: return dw3_bias_rows<S>(oy0, oy1, ow, bias, act, y);
    }
  });
}

template <class S>
void dwconv3x3(size_t oh, size_t ow, size_t height, size_t width, size_t stride, size_t pad_top, size_t pad_left,
               const float* x, const float* w, float bias, int activation, float* y) {
  with_activation<S>(activation, [&](auto act) {
    if (stride == 2) return dw3_plane<S, 2>(oh, ow, height, width, pad_top, pad_left, x, w, bias, act, y);
    dw3_plane<S, 1>(oh, ow, height, width, pad_top, pad_left, x, w, bias, act, y);
  });
}

// A vector of a width-float row's inputs from column c >= 0 on, zero past the row's end.
template <class S>
inline typename S::V dw3_row_vector(const float* row, ptrdiff_t c, ptrdiff_t width) {
  return c < width ? dw3_load<S>(row + c, width - c) : S::zero();
}

// Output rows [oy0, oy1) of a plane with one column of left padding, R present kernel rows each
// (from `first`), every input vector loaded once per kernel row and its neighbours' lanes shifted
// in (S::lanes_before, lanes_after): no output goes one at a time at a row's left edge, and the
// right edge is a masked load. Stride 2 takes the even and odd columns of two vectors: output j
// reads columns 2j - 1 (the odd ones shifted by a lane), 2j and 2j + 1.
template <class S, size_t Stride, size_t R, class Act>
void dw3_shift_rows(size_t oy0, size_t oy1, size_t first, size_t ow, size_t width, size_t pad_top, const float* x,
                    const float* w, float bias, Act act, float* y) {
  using V = typename S::V;
  constexpr auto N = static_cast<ptrdiff_t>(S::N);
  V wv[R][3];
  for (size_t k = 0; k < R; k++) {
    for (size_t kx = 0; kx < 3; kx++) wv[k][kx] = S::set1(w[3 * (first + k) + kx]);
  }
  const V bv = S::set1(bias);
  const auto iw = static_cast<ptrdiff_t>(width);
  for (size_t oy = oy0; oy < oy1; oy++) {
    const float* rows[R];
    for (size_t k = 0; k < R; k++) rows[k] = x + (Stride * oy + first + k - pad_top) * width;
    float* yr = y + oy * ow;
    // Per kernel row: stride 1, the input vectors at the previous, this and the next output
    // vector's columns; stride 2, the previous vector's odd columns.
    V prev[R], cur[R], next[R];
    for (size_t k = 0; k < R; k++) {
      prev[k] = S::zero();
      if constexpr (Stride == 1) cur[k] = dw3_row_vector<S>(rows[k], 0, iw);
    }
    for (size_t j = 0; j < ow; j += S::N) {
      const auto c = static_cast<ptrdiff_t>(j);
      V acc = bv;
#pragma GCC unroll 3
      for (size_t k = 0; k < R; k++) {
        V left, mid, right;
        if constexpr (Stride == 1) {
          next[k] = dw3_row_vector<S>(rows[k], c + N, iw);
          left = S::lanes_before(cur[k], prev[k]);
          mid = cur[k];
          right = S::lanes_after(cur[k], next[k]);
          prev[k] = cur[k];
          cur[k] = next[k];
        } else {
          const V a = dw3_row_vector<S>(rows[k], 2 * c, iw);
          const V b = dw3_row_vector<S>(rows[k], 2 * c + N, iw);
          mid = S::even_lanes(a, b);
          right = S::odd_lanes(a, b);
          left = S::lanes_before(right, prev[k]);
          prev[k] = right;
        }
        acc = S::fma(left, wv[k][0], acc);
        acc = S::fma(mid, wv[k][1], acc);
        acc = S::fma(right, wv[k][2], acc);
      }
      const size_t lanes = std::min<size_t>(S::N, ow - j);
      if (lanes == S::N) {
        S::store(yr + j, act(acc));
      } else {
        S::store_tail(yr + j, act(acc), lanes);
      }
    }
  }
}

// dwconv3x3 through dw3_shift_rows where the left padding is one column (the usual 3x3 "same" and
// stride-2 layers), else as dwconv3x3. For vocabularies with lanes_before, lanes_after and
// odd_lanes.
template <class S>
void dwconv3x3_shift(size_t oh, size_t ow, size_t height, size_t width, size_t stride, size_t pad_top, size_t pad_left,
                     const float* x, const float* w, float bias, int activation, float* y) {
  if (pad_left != 1) return dwconv3x3<S>(oh, ow, height, width, stride, pad_top, pad_left, x, w, bias, activation, y);
  with_activation<S>(activation, [&](auto act) {
    const auto run = [&](auto stride_const) {
      constexpr size_t Stride = decltype(stride_const)::value;
      dw3_bands<Stride>(oh, height, pad_top, [&](size_t oy0, size_t oy1, size_t count, size_t first) {
        switch (count) {
          case 3: return dw3_shift_rows<S, Stride, 3>(oy0, oy1, first, ow, width, pad_top, x, w, bias, act, y);
          case 2: return dw3_shift_rows<S, Stride, 2>(oy0, oy1, first, ow, width, pad_top, x, w, bias, act, y);
          case 1: return dw3_shift_rows<S, Stride, 1>(oy0, oy1, first, ow, width, pad_top, x, w, bias, act, y);
          default: return dw3_bias_rows<S>(oy0, oy1, ow, bias, act, y);
        }
      });
    };
    if (stride == 2) return run(std::integral_constant<size_t, 2>{});
    run(std::integral_constant<size_t, 1>{});
  });
}

// U outputs (ox .. ox + U - 1) of a row of every channel of a block: rows[k], kernel row k's ring row
// (pixel after pixel, a vector of channels each), wv: a vector of channels per tap. The outputs'
// vectors are transposed into a vector of outputs per channel and stored into the planes' rows.
template <class S, size_t Stride, size_t U, class Act>
inline void dw3_channels_outputs(const float* const (&rows)[3], size_t ox, const typename S::V (&wv)[9],
                                 typename S::V bias, Act act, size_t channels, float* y, size_t y_plane) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  V acc[N];
#pragma GCC unroll 16
  for (size_t p = 0; p < N; p++) acc[p] = p < U ? bias : S::zero();
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
      const V wk = wv[3 * ky + kx];
      const float* r = rows[ky] + (Stride * ox + kx) * N;
#pragma GCC unroll 16
      for (size_t p = 0; p < U; p++) acc[p] = S::fma(S::load(r + Stride * p * N), wk, acc[p]);
    }
  }
#pragma GCC unroll 16
  for (size_t p = 0; p < U; p++) acc[p] = act(acc[p]);
  S::transpose(acc);
  const auto store = [&](size_t k) {
    if constexpr (U == N) {
      S::store(y + k * y_plane + ox, acc[k]);
    } else {
      S::template store_first<U>(y + k * y_plane + ox, acc[k]);
    }
  };
  if (channels == N) {
#pragma GCC unroll 16
    for (size_t k = 0; k < N; k++) store(k);
  } else {
    for (size_t k = 0; k < channels; k++) store(k);
  }
}

// A row's outputs from ox on, fewer than twice U: U of them if there are, then the rest by halves.
template <class S, size_t Stride, size_t U, class Act>
inline void dw3_channels_rest(const float* const (&rows)[3], size_t ox, size_t ow, const typename S::V (&wv)[9],
                              typename S::V bias, Act act, size_t channels, float* y, size_t y_plane) {
  if (ow - ox >= U) {
    dw3_channels_outputs<S, Stride, U>(rows, ox, wv, bias, act, channels, y, y_plane);
    ox += U;
  }
  if constexpr (U > 1) dw3_channels_rest<S, Stride, U / 2>(rows, ox, ow, wv, bias, act, channels, y, y_plane);
}

template <class S, size_t Stride, class Act>
void dw3_channels(size_t channels, size_t oy0, size_t oy1, size_t ow, size_t height, size_t width, size_t pad_top,
                  size_t pad_left, const float* x, size_t x_plane, const float* w, const float* bias, Act act, float* y,
                  size_t y_plane, float* ring) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  // Ring row: padded columns [0, rw), column q holding input column q - pad_left (zeros outside).
  const size_t rw = dw3_ring_width(ow, Stride);
  const size_t left = std::min(pad_left, rw), cols = std::min(width, rw - left);
  float* zeros = ring + 3 * rw * N;
  std::fill(zeros, zeros + rw * N, 0.0f);
  for (size_t slot = 0; slot < 3; slot++) {
    float* row = ring + slot * rw * N;
    std::fill(row, row + left * N, 0.0f);
    std::fill(row + (left + cols) * N, row + rw * N, 0.0f);
  }
  float lanes[10][N] = {};
  for (size_t k = 0; k < channels; k++) {
    for (size_t t = 0; t < 9; t++) lanes[t][k] = w[9 * k + t];
    lanes[9][k] = bias ? bias[k] : 0.0f;
  }
  V wv[9];
  for (size_t t = 0; t < 9; t++) wv[t] = S::load(lanes[t]);
  const V bv = S::load(lanes[9]);
  // Lane k's input plane: a block of fewer channels reads its last one again (lanes it never stores).
  size_t plane[N];
  for (size_t k = 0; k < N; k++) plane[k] = std::min(k, channels - 1) * x_plane;
  // Input row iy into ring slot iy % 3: N columns of every channel at a time, transposed.
  const auto fill = [&](size_t iy) {
    float* dst = ring + (iy % 3) * rw * N + left * N;
    const float* src = x + iy * width;
    size_t ix = 0;
    for (; ix + N <= cols; ix += N) {
      V r[N];
#pragma GCC unroll 16
      for (size_t k = 0; k < N; k++) r[k] = S::load(src + plane[k] + ix);
      S::transpose(r);
#pragma GCC unroll 16
      for (size_t j = 0; j < N; j++) S::store(dst + (ix + j) * N, r[j]);
    }
    if (ix < cols) {
      const size_t n = cols - ix;
      V r[N];
#pragma GCC unroll 16
      for (size_t k = 0; k < N; k++) r[k] = S::load_tail(src + plane[k] + ix, n);
      S::transpose(r);
      for (size_t j = 0; j < n; j++) S::store(dst + (ix + j) * N, r[j]);
    }
  };
  const auto h = static_cast<ptrdiff_t>(height);
  // Input rows before `next` are in the ring (those an output row still reads).
  ptrdiff_t next = std::max<ptrdiff_t>(static_cast<ptrdiff_t>(Stride * oy0) - static_cast<ptrdiff_t>(pad_top), 0);
  for (size_t oy = oy0; oy < oy1; oy++) {
    const ptrdiff_t top = static_cast<ptrdiff_t>(Stride * oy) - static_cast<ptrdiff_t>(pad_top);
    for (; next <= std::min(top + 2, h - 1); next++) fill(static_cast<size_t>(next));
    const float* rows[3];
    for (size_t ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = top + static_cast<ptrdiff_t>(ky);
      rows[ky] = iy >= 0 && iy < h ? ring + static_cast<size_t>(iy) % 3 * rw * N : zeros;
    }
    float* yr = y + oy * ow;
    size_t ox = 0;
    for (; ox + N <= ow; ox += N) dw3_channels_outputs<S, Stride, N>(rows, ox, wv, bv, act, channels, yr, y_plane);
    if constexpr (N > 1) dw3_channels_rest<S, Stride, N / 2>(rows, ox, ow, wv, bv, act, channels, yr, y_plane);
  }
}

template <class S>
void dwconv3x3_block(size_t channels, size_t oy0, size_t oy1, size_t ow, size_t height, size_t width, size_t stride,
                     size_t pad_top, size_t pad_left, const float* x, size_t x_plane, const float* w,
                     const float* bias, int activation, float* y, size_t y_plane, float* ring) {
  with_activation<S>(activation, [&](auto act) {
    if (stride == 2) {
      return dw3_channels<S, 2>(channels, oy0, oy1, ow, height, width, pad_top, pad_left, x, x_plane, w, bias, act, y,
                                y_plane, ring);
    }
    dw3_channels<S, 1>(channels, oy0, oy1, ow, height, width, pad_top, pad_left, x, x_plane, w, bias, act, y, y_plane,
                       ring);
  });
}

}  // namespace os::impl
