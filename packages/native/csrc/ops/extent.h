// Size arithmetic for the entry points of the data-movement, normalisation and attention kernels:
// products and strided extents of untrusted parameters, failing (never wrapping) on overflow.
#pragma once
#include <cstddef>
#include <initializer_list>

#include "../api/api.h"

namespace os {

// The product of `dims`; fails when it does not fit.
inline size_t checked_product(const Args& a, std::initializer_list<size_t> dims) {
  size_t p = 1;
  for (size_t d : dims) {
    if (__builtin_mul_overflow(p, d, &p)) a.fail("sizes overflow");
  }
  return p;
}

// Elements a strided view spans: 1 + sum (dims[i] - 1) * strides[i], or 0 when a dim is 0.
inline size_t strided_extent(const Args& a, const size_t* dims, const size_t* strides, size_t rank) {
  size_t last = 0;
  for (size_t i = 0; i < rank; i++) {
    if (dims[i] == 0) return 0;
    size_t step;
    if (__builtin_mul_overflow(dims[i] - 1, strides[i], &step) || __builtin_add_overflow(last, step, &last)) {
      a.fail("strides overflow");
    }
  }
  return last + 1;
}

}  // namespace os
