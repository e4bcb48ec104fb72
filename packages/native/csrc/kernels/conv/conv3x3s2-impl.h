// Conv3x3S2Fn (conv3x3s2.h), once, over a SIMD vocabulary S (instantiated per ISA by
// dispatch/make-table.h).
#pragma once
#include <algorithm>
#include <cstdint>

#include "../gemm/gemm-impl.h"
#include "conv-impl.h"
#include "conv3x3s2.h"

namespace os::impl {

// The register tile: P of the GEMM's panels (MR rows each, the packed weight's) times U vectors
// of outputs. Two panels share each vector of taps, one deinterleaving step per 2 MR multiply-adds
// (AVX-512, one thread: 16 x 1 runs UltraFace's first convolution 1.15 times and YOLOv8n's 1.2
// times faster than 8 x 2).
template <class S>
struct Conv3x3S2Shape {
  static constexpr size_t mr = GemmTileShape<S>::mr;
  static constexpr size_t panels = S::N == 1 ? 1 : 2;
  static constexpr size_t u = S::N == 1 ? 4 : 1;
};

// Outputs j .. j + U N - 1 (the first n stored) of P panels' channels (bias: P MR values or null),
// the first panel's weights at `a`, the next ones `panel` floats apart, from `taps` present kernel
// rows: rows[t] reads input column 2 j - pad_left at rows[t][0], its weights start at arow[t] in a
// panel (kx's MR weights kx * MR further). Each vector of outputs takes the even lanes of 2N inputs
// from column kx, in even_lanes_grouped's order; the sums go back in order once.
template <class S, size_t P, class Act>
inline void c3s2_block(size_t taps, const float* const* rows, const float* a, size_t panel, const size_t* arow,
                       size_t n, const float* bias, Act act, float* y, size_t y_plane) {
  using V = typename S::V;
  constexpr size_t N = S::N, MR = Conv3x3S2Shape<S>::mr, U = Conv3x3S2Shape<S>::u, R = P * MR;
  V acc[R][U];
  zero_tile<S>(acc);
  for (size_t t = 0; t < taps; t++) {
    const float* r = rows[t];
    // A pointer per panel: the weights' offsets are then constants.
    const float* w[P];
#pragma GCC unroll 4
    for (size_t p = 0; p < P; p++) w[p] = a + p * panel + arow[t];
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
      V bv[U];
#pragma GCC unroll 4
      for (size_t u = 0; u < U; u++) {
        bv[u] = S::even_lanes_grouped(S::load(r + kx + 2 * u * N), S::load(r + kx + 2 * u * N + N));
      }
#pragma GCC unroll 16
      for (size_t i = 0; i < R; i++) {
        const V av = S::set1(w[i / MR][kx * MR + i % MR]);
#pragma GCC unroll 4
        for (size_t u = 0; u < U; u++) acc[i][u] = S::fma(av, bv[u], acc[i][u]);
      }
    }
  }
  // Every row (a partial panel's go through a scratch tile): loops with early exits are left rolled
  // by clang, and the accumulators then live in memory.
#pragma GCC unroll 32
  for (size_t i = 0; i < R; i++) {
    const V b = S::set1(bias ? bias[i] : 0.0f);
#pragma GCC unroll 4
    for (size_t u = 0; u < U; u++) {
      if (u * N >= n) continue;
      const V v = act(S::add(S::ungroup(acc[i][u]), b));
      const size_t lanes = std::min(N, n - u * N);
      if (lanes == N) {
        S::store(y + i * y_plane + u * N, v);
      } else {
        S::store_tail(y + i * y_plane + u * N, v, lanes);
      }
    }
  }
}

template <class S>
void conv3x3s2(size_t m, size_t channels, size_t oy0, size_t oy1, size_t ow, size_t height, size_t width,
               size_t pad_top, size_t pad_left, const float* x, size_t x_plane, const float* panels, const float* bias,
               int activation, float* y, size_t y_plane) {
  constexpr size_t N = S::N, MR = Conv3x3S2Shape<S>::mr, U = Conv3x3S2Shape<S>::u, P = Conv3x3S2Shape<S>::panels;
  // Input columns a block reads from its first, 2 j - pad_left.
  constexpr size_t kSpan = 2 * U * N + 2;
  constexpr size_t kMaxRows = 3 * kConv3x3S2MaxChannels;
  const size_t depth = channels * 9;
  const auto iw = static_cast<ptrdiff_t>(width);
  // Blocks that read past a row's ends read copies of their columns, zero outside the row.
  alignas(64) float edge[kMaxRows][kSpan];
  alignas(64) float tile[P * MR][U * N];
  with_activation<S>(activation, [&](auto act) {
    for (size_t oy = oy0; oy < oy1; oy++) {
      // The kernel rows inside the plane (the others are padding: skipped, with their weights).
      const float* in[kMaxRows];
      size_t arow[kMaxRows];
      size_t taps = 0;
      for (size_t c = 0; c < channels; c++) {
        for (size_t ky = 0; ky < 3; ky++) {
          const ptrdiff_t iy = static_cast<ptrdiff_t>(2 * oy + ky) - static_cast<ptrdiff_t>(pad_top);
          if (iy < 0 || iy >= static_cast<ptrdiff_t>(height)) continue;
          in[taps] = x + c * x_plane + static_cast<size_t>(iy) * width;
          arow[taps++] = (c * 3 + ky) * 3 * MR;
        }
      }
      float* yr = y + oy * ow;
      for (size_t j = 0; j < ow; j += U * N) {
        const ptrdiff_t b = static_cast<ptrdiff_t>(2 * j) - static_cast<ptrdiff_t>(pad_left);
        const float* rows_at[kMaxRows];
        if (b >= 0 && b + static_cast<ptrdiff_t>(kSpan) <= iw) {
          for (size_t t = 0; t < taps; t++) rows_at[t] = in[t] + b;
        } else {
          const ptrdiff_t lo = std::clamp<ptrdiff_t>(-b, 0, kSpan), hi = std::clamp<ptrdiff_t>(iw - b, lo, kSpan);
          for (size_t t = 0; t < taps; t++) {
            float* e = edge[t];
            zero_floats<S>(e, kSpan);
            ptrdiff_t q = lo;
            for (; q + static_cast<ptrdiff_t>(N) <= hi; q += N) S::store(e + q, S::load(in[t] + (b + q)));
            if (q < hi) S::store_tail(e + q, S::load_tail(in[t] + (b + q), hi - q), hi - q);
            rows_at[t] = e;
          }
        }
        const size_t n = std::min(U * N, ow - j);
        for (size_t p = 0; p * MR < m;) {
          // P panels, or one where no more are left; a partial last panel through the scratch tile.
          const size_t rows = std::min(P * MR, m - p * MR), q = rows > (P - 1) * MR ? P : 1;
          const float* a = panels + p * MR * depth;
          float* yp = yr + p * MR * y_plane + j;
          const float* bp = bias ? bias + p * MR : nullptr;
          const auto block = [&](float* out, size_t out_plane, const float* out_bias) {
            if (q == P) return c3s2_block<S, P>(taps, rows_at, a, MR * depth, arow, n, out_bias, act, out, out_plane);
            c3s2_block<S, 1>(taps, rows_at, a, MR * depth, arow, n, out_bias, act, out, out_plane);
          };
          if (rows == q * MR) {
            block(yp, y_plane, bp);
          } else {
            float part_bias[P * MR] = {};
            if (bp) std::copy(bp, bp + rows, part_bias);
            block(tile[0], U * N, bp ? part_bias : nullptr);
            for (size_t i = 0; i < rows; i++) std::copy(tile[i], tile[i] + n, yp + i * y_plane);
          }
          p += q;
        }
      }
    }
  });
}

}  // namespace os::impl
