// Convolution kernels besides GEMM: depthwise (one input channel per group), where each output is
// a short dot product over the kernel taps, and the padded row copy that splits an input into
// stride phases.
#pragma once
#include <cstddef>

namespace os {

// y[p] = act(bias + sum over t < taps of w[t] * x[shifts[t] + p]) for p < n: one output row of a
// depthwise convolution over a padded (and, for strides, phase-split) input plane, each tap a
// shifted view of it. activation: a UnaryOp value (relu, sigmoid, silu, tanh) or -1.
using DwConvFn = void (*)(size_t n, size_t taps, const float* x, const ptrdiff_t* shifts, const float* w, float bias,
                          int activation, float* y);

// `rows` padded rows of one stride phase of an input plane, `pitch` floats apart from dst: row r is
// `lead` zeros, then src[r * src_pitch + j * stride] for j < n, then zeros up to `pitch`
// (lead + n <= pitch). All rows of a plane in one call: small planes have rows of a few floats.
using PadRowsFn = void (*)(size_t rows, const float* src, size_t src_pitch, size_t stride, size_t lead, size_t n,
                           size_t pitch, float* dst);

}  // namespace os
