// Softmax and log-softmax of float32 lines: a contiguous line (softmax over the last axis), or w
// adjacent lines laid across the rows of an n x w block with row stride `stride` (softmax over
// another axis: each step along the axis reads w contiguous values).
#pragma once
#include <cstddef>

namespace os {

// A line whose values are all -inf (fully masked) becomes zeros (-inf for log), like the reference.
// y may be x.
using SoftmaxRowFn = void (*)(size_t n, const float* x, float* y, bool log);
using SoftmaxColsFn = void (*)(size_t n, size_t stride, size_t w, const float* x, float* y, bool log);

}  // namespace os
