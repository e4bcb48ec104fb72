// Convolution kernels besides GEMM: depthwise (one input channel per group), where each output is
// a short dot product over the kernel taps, and the strided row copy that splits a padded input
// into stride phases.
#pragma once
#include <cstddef>

namespace os {

// y[p] = act(bias + sum over t < taps of w[t] * x[shifts[t] + p]) for p < n: one output row of a
// depthwise convolution over a padded (and, for strides, phase-split) input plane, each tap a
// shifted view of it. activation: a UnaryOp value (relu, sigmoid, silu, tanh) or -1.
using DwConvFn = void (*)(size_t n, size_t taps, const float* x, const ptrdiff_t* shifts, const float* w, float bias,
                          int activation, float* y);

// dst[j] = src[j * stride] for j < n (a row of one stride phase of the input).
using GatherStridedFn = void (*)(size_t n, const float* src, size_t stride, float* dst);

}  // namespace os
