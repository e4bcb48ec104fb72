// 2-D transposition of float32 (any 32-bit) matrices with row strides: the core of every Transpose,
// which the operator reduces to batches of 2-D transposes or plain row copies.
#pragma once
#include <cstddef>

namespace os {

// dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols. src and dst must not overlap.
using Transpose2dFn = void (*)(size_t rows, size_t cols, const float* src, size_t lds, float* dst, size_t ldd);

}  // namespace os
