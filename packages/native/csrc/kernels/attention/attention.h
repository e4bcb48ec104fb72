// Building blocks of tiled attention with an online softmax (FlashAttention's recurrence): per
// block of query rows and block of keys, S = scale * Q.K^T, then the running row max m and sum l
// absorb S (P = exp(S - m) replaces S and the output accumulator is rescaled), then O += P.V;
// finally y = O / l. The full Q.K^T is never stored.
#pragma once
#include <cstddef>

namespace os {

// c[m x n] = alpha * a[m x k] . b[k x n] (+ c when accumulate); row-major with leading dimensions.
using AttnGemmFn = void (*)(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                            float* c, size_t ldc, float alpha, bool accumulate);

// Online-softmax step for `rows` rows of `cols` scores s (row stride lds): m and l are the rows'
// running max and sum (start at -inf and 0), o the rows' output accumulators (dv values, stride ldo).
// s becomes exp(s - new max); o and l are rescaled to the new max. A row whose scores so far are all
// -inf (masked) keeps m = -inf, l = 0 and gets zeros in s. The max is that of the numbers on every ISA;
// NaN scores stay NaN in s, so that P.V and the row's output are NaN, as in the reference.
using AttnSoftmaxFn = void (*)(size_t rows, size_t cols, float* s, size_t lds, float* m, float* l, float* o,
                               size_t ldo, size_t dv);

// y[r][j] = o[r][j] / l[r], or 0 for a row with l = 0 (every key masked).
using AttnFinishFn = void (*)(size_t rows, size_t dv, const float* o, size_t ldo, const float* l, float* y,
                              size_t ldy);

}  // namespace os
