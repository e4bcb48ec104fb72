// Elementwise unary float32 kernels: y[i] = f(x[i]). x and y may be the same buffer.
#pragma once
#include <cstddef>

namespace os {

// Order and values are shared with src/kernels.ts.
enum class UnaryOp : int {
  relu = 0,
  sigmoid = 1,
  silu = 2,
  tanh = 3,
  exp = 4,
  neg = 5,
  abs = 6,
  sqrt = 7,
  leaky_relu = 8,  // alpha
  clip = 9,        // alpha = min, beta = max
  hard_sigmoid = 10,  // alpha, beta: max(0, min(1, alpha * x + beta))
  hard_swish = 11,
  reciprocal = 12,
  erf = 13,
  gelu = 14,  // erf form: x/2 (1 + erf(x / sqrt 2)); the last: ops/unary.cc validates against it
};

// alpha, beta: the operation's parameters where it has some.
using VUnaryFn = void (*)(UnaryOp op, size_t n, const float* x, float* y, float alpha, float beta);

}  // namespace os
