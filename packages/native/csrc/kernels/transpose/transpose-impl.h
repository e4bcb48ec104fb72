// Blocked transposition: blocks keep the lines they touch in cache until they are used up, 8 x 8
// tiles inside them go through registers. x86 tiles use AVX shuffles; the other vocabularies
// use the scalar tile, which compilers unroll well.
#pragma once
#include <algorithm>
#include <type_traits>

#include "transpose.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace os::simd {
struct Avx2;
struct Avx512;
}  // namespace os::simd

namespace os::impl {

template <class S>
inline void transpose_tile8(const float* src, size_t lds, float* dst, size_t ldd) {
#if defined(__AVX__)
  if constexpr (std::is_same_v<S, simd::Avx2> || std::is_same_v<S, simd::Avx512>) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
    // Interleave pairs of rows, then pairs of pairs: each 128-bit lane holds a 4 x 4 transpose.
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // Column j of the tile: low lanes of rows 0-3's and 4-7's results (j < 4), high lanes after.
    for (int j = 0; j < 4; j++) {
      _mm256_storeu_ps(dst + j * ldd, _mm256_permute2f128_ps(r[j], r[j + 4], 0x20));
      _mm256_storeu_ps(dst + (j + 4) * ldd, _mm256_permute2f128_ps(r[j], r[j + 4], 0x31));
    }
    return;
  }
#endif
  for (size_t j = 0; j < 8; j++) {
    for (size_t i = 0; i < 8; i++) dst[j * ldd + i] = src[i * lds + j];
  }
}

template <class S>
void transpose2d(size_t rows, size_t cols, const float* src, size_t lds, float* dst, size_t ldd) {
  // Blocks are long (128) along the contiguous direction of the side with the longer stride and
  // short (32) across it, and tiles sweep them so that only eight of that side's rows are live at
  // a time: with power-of-two strides, more live rows than cache ways would evict half-used lines.
  const bool dst_outer = ldd >= lds;
  const size_t bi = dst_outer ? 128 : 32, bj = dst_outer ? 32 : 128;
  for (size_t i1 = 0; i1 < rows; i1 += bi) {
    const size_t ie = std::min(rows, i1 + bi);
    const size_t i8 = i1 + (ie - i1) / 8 * 8;
    for (size_t j1 = 0; j1 < cols; j1 += bj) {
      const size_t je = std::min(cols, j1 + bj);
      const size_t j8 = j1 + (je - j1) / 8 * 8;
      if (dst_outer) {
        for (size_t j = j1; j < j8; j += 8) {
          for (size_t i = i1; i < i8; i += 8) transpose_tile8<S>(src + i * lds + j, lds, dst + j * ldd + i, ldd);
        }
      } else {
        for (size_t i = i1; i < i8; i += 8) {
          for (size_t j = j1; j < j8; j += 8) transpose_tile8<S>(src + i * lds + j, lds, dst + j * ldd + i, ldd);
        }
      }
      // The block's ragged edges: columns past the last full tile, then rows past it.
      for (size_t j = j8; j < je; j++) {
        for (size_t i = i1; i < ie; i++) dst[j * ldd + i] = src[i * lds + j];
      }
      for (size_t j = j1; j < j8; j++) {
        for (size_t i = i8; i < ie; i++) dst[j * ldd + i] = src[i * lds + j];
      }
    }
  }
}

}  // namespace os::impl
