// A 3x3 depthwise convolution row read straight from the input: no padded copy of the plane, and
// the output row written in place (the plane-copy path, DwConvFn over phase planes, spent a third
// of UltraFace's depthwise time on the copies in and out).
#pragma once
#include <cstddef>

namespace os {

// One output plane: y[oy * ow + j] = act(bias + sum over ky, kx < 3 of w[3 ky + kx] *
// x[(stride * oy + ky - pad_top) * width + stride * j + kx - pad_left]) for oy < oh, j < ow, where
// inputs outside the height x width plane x read as zero (and are not read). stride: 1 or 2.
// activation: a UnaryOp value (relu, sigmoid, silu, tanh) or -1.
using DwConv3x3Fn = void (*)(size_t oh, size_t ow, size_t height, size_t width, size_t stride, size_t pad_top,
                             size_t pad_left, const float* x, const float* w, float bias, int activation, float* y);

}  // namespace os
