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

// The same for `channels` planes at once (1 to the vector's lanes), output rows [oy0, oy1) of each:
// input rows are transposed into a ring of 3 rows holding a pixel's channels in one vector (the
// layout of onnxruntime's NCHWc kernels), so every output vector is a row of multiply-adds with no
// per-plane edges, and groups of outputs are transposed back into the planes' rows. Small planes
// (UltraFace's 8x10 to 30x40) spend most of a per-plane call on its edges and tails.
// x: the first channel's height x width plane, the next ones x_plane floats apart; w: 9 weights per
// channel; bias: one per channel, or null; y: the first channel's oh x ow output plane (its rows
// [oy0, oy1) are written), the next ones y_plane floats apart; ring: dw3_ring_floats(ow, stride,
// lanes) floats of scratch, any contents.
using DwConv3x3BlockFn = void (*)(size_t channels, size_t oy0, size_t oy1, size_t ow, size_t height, size_t width,
                                  size_t stride, size_t pad_top, size_t pad_left, const float* x, size_t x_plane,
                                  const float* w, const float* bias, int activation, float* y, size_t y_plane,
                                  float* ring);

// Padded input columns a ring row of DwConv3x3BlockFn holds (those its outputs read).
inline size_t dw3_ring_width(size_t ow, size_t stride) { return stride * (ow - 1) + 3; }
// Scratch floats of DwConv3x3BlockFn: 3 ring rows and a row of zeros (the padding rows), `lanes` floats a column.
inline size_t dw3_ring_floats(size_t ow, size_t stride, size_t lanes) { return 4 * dw3_ring_width(ow, stride) * lanes; }

}  // namespace os
