// Elementwise binary float32 kernels over a run: y[i] = a[i * sa] op b[i * sb], strides 0 or 1
// (a scalar broadcast against a vector, or two vectors). y may alias a or b.
#pragma once
#include <cstddef>

namespace os {

// Order and values are shared with src/kernels.ts.
enum class BinaryOp : int { add = 0, sub = 1, mul = 2, div = 3, max = 4, min = 5 };

using VBinaryFn = void (*)(BinaryOp op, size_t n, const float* a, size_t sa, const float* b, size_t sb, float* y);

}  // namespace os
