#pragma once
#include <cmath>
#include <limits>

#include "../../common/simd/math.h"
#include "attention.h"

namespace os::impl {

// An MR x (2 vectors) register tile of c = alpha * a.b (+ c). `w` is the tile's width when it is
// narrower than two vectors (Full = false).
template <class S, size_t MR, bool Full>
inline void attn_tile(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc,
                      float alpha, bool accumulate, size_t w) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const size_t n0 = Full ? N : (w < N ? w : N);
  const size_t n1 = Full ? N : (w > N ? w - N : 0);
  V acc0[MR], acc1[MR];
  for (size_t r = 0; r < MR; r++) acc0[r] = acc1[r] = S::zero();
  for (size_t p = 0; p < k; p++) {
    const float* bp = b + p * ldb;
    const V b0 = Full ? S::load(bp) : S::load_tail(bp, n0);
    const V b1 = Full ? S::load(bp + N) : (n1 ? S::load_tail(bp + N, n1) : S::zero());
    for (size_t r = 0; r < MR; r++) {
      const V av = S::set1(a[r * lda + p]);
      acc0[r] = S::fma(av, b0, acc0[r]);
      acc1[r] = S::fma(av, b1, acc1[r]);
    }
  }
  const V al = S::set1(alpha);
  for (size_t r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (Full) {
      S::store(cr, accumulate ? S::fma(acc0[r], al, S::load(cr)) : S::mul(acc0[r], al));
      S::store(cr + N, accumulate ? S::fma(acc1[r], al, S::load(cr + N)) : S::mul(acc1[r], al));
    } else {
      S::store_tail(cr, accumulate ? S::fma(acc0[r], al, S::load_tail(cr, n0)) : S::mul(acc0[r], al), n0);
      if (n1) S::store_tail(cr + N, accumulate ? S::fma(acc1[r], al, S::load_tail(cr + N, n1)) : S::mul(acc1[r], al), n1);
    }
  }
}

template <class S, size_t MR>
inline void attn_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc,
                      float alpha, bool accumulate) {
  constexpr size_t W = 2 * S::N;
  size_t j = 0;
  for (; j + W <= n; j += W) attn_tile<S, MR, true>(k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, W);
  if (j < n) attn_tile<S, MR, false>(k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, n - j);
}

template <class S>
void attn_gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
               size_t ldc, float alpha, bool accumulate) {
  // 4 rows x 2 vectors of accumulators fit every vocabulary's registers with the operands; 6 rows
  // on AVX-512 measured slower for head sizes 40 and 80 (SD's), no faster for 64 and 160.
  constexpr size_t MR = 4;
  size_t i = 0;
  for (; i + MR <= m; i += MR) attn_rows<S, MR>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha, accumulate);
  for (; i < m; i++) attn_rows<S, 1>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha, accumulate);
}

template <class S>
void attn_softmax(size_t rows, size_t cols, float* s, size_t lds, float* m, float* l, float* o, size_t ldo, size_t dv) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const float ninf = -std::numeric_limits<float>::infinity();
  for (size_t r = 0; r < rows; r++) {
    float* sr = s + r * lds;
    V vmax = S::set1(ninf);
    size_t j = 0;
    for (; j + N <= cols; j += N) vmax = S::max(vmax, S::load(sr + j));
    float mx = S::reduce_max(vmax);
    for (; j < cols; j++) mx = mx < sr[j] ? sr[j] : mx;
    // NEON's max returns NaN for a NaN score, x86's and the scalar one skip it: take the max of the
    // numbers on every ISA (NaN scores still reach l and o through exp below).
    if (mx != mx) {
      mx = ninf;
      for (j = 0; j < cols; j++) mx = mx < sr[j] ? sr[j] : mx;
    }
    const float mnew = m[r] < mx ? mx : m[r];
    if (mnew == ninf) {
      // Masked scores weigh 0; a NaN score stays NaN, so that the row's output is NaN (P.V).
      for (j = 0; j < cols; j++) sr[j] = sr[j] == ninf ? 0.0f : sr[j];
      continue;
    }
    const V vm = S::set1(mnew);
    V vsum = S::zero();
    j = 0;
    for (; j + N <= cols; j += N) {
      const V e = simd::exp<S>(S::sub(S::load(sr + j), vm));
      S::store(sr + j, e);
      vsum = S::add(vsum, e);
    }
    float sum = S::reduce_add(vsum);
    if (j < cols) {
      S::store_tail(sr + j, simd::exp<S>(S::sub(S::load_tail(sr + j, cols - j), vm)), cols - j);
      for (; j < cols; j++) sum += sr[j];
    }
    // exp(-inf) is exactly 0 here: the first block of a row leaves nothing to rescale.
    const float alpha = std::exp(m[r] - mnew);
    l[r] = l[r] * alpha + sum;
    m[r] = mnew;
    if (alpha != 1.0f) {
      float* orow = o + r * ldo;
      const V va = S::set1(alpha);
      size_t i = 0;
      for (; i + N <= dv; i += N) S::store(orow + i, S::mul(S::load(orow + i), va));
      if (i < dv) S::store_tail(orow + i, S::mul(S::load_tail(orow + i, dv - i), va), dv - i);
    }
  }
}

template <class S>
void attn_finish(size_t rows, size_t dv, const float* o, size_t ldo, const float* l, float* y, size_t ldy) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  for (size_t r = 0; r < rows; r++) {
    const V inv = S::set1(l[r] > 0.0f ? 1.0f / l[r] : 0.0f);
    const float* orow = o + r * ldo;
    float* yr = y + r * ldy;
    size_t i = 0;
    for (; i + N <= dv; i += N) S::store(yr + i, S::mul(S::load(orow + i), inv));
    if (i < dv) S::store_tail(yr + i, S::mul(S::load_tail(orow + i, dv - i), inv), dv - i);
  }
}

}  // namespace os::impl
