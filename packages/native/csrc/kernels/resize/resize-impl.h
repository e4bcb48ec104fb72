#pragma once
#include <cmath>

#include "../../common/simd/scalar.h"
#include "resize.h"

namespace os::impl {

// Gathers have no vocabulary operation (and AVX2 gathers are slow): the row stays scalar, and the
// operator copies repeated rows instead of gathering them again.
template <class S>
void resize_gather(size_t n, const float* x, const int32_t* idx, float* y) {
  for (size_t j = 0; j < n; j++) y[j] = x[idx[j]];
}

// An explicit fma, as in resize_blend: written as a + w * (b - a), the compiler fuses it in the tables
// built with FMA and not in the others, and the ISAs would round differently.
template <class S>
void resize_lerp_row(size_t n, const float* x, const int32_t* i0, const int32_t* i1, const float* w, float* y) {
  for (size_t j = 0; j < n; j++) {
    const float a = x[i0[j]];
    y[j] = simd::fused_multiply_add(w[j], x[i1[j]] - a, a);
  }
}

template <class S>
void resize_blend(size_t n, const float* a, const float* b, float t, float* y) {
  using V = typename S::V;
  const V vt = S::set1(t);
  size_t i = 0;
  for (; i + S::N <= n; i += S::N) {
    const V va = S::load(a + i);
    S::store(y + i, S::fma(vt, S::sub(S::load(b + i), va), va));
  }
  if (i < n) {
    const size_t r = n - i;
    const V va = S::load_tail(a + i, r);
    S::store_tail(y + i, S::fma(vt, S::sub(S::load_tail(b + i, r), va), va), r);
  }
}

}  // namespace os::impl
