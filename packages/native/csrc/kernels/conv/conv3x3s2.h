// A dense 3x3 stride-2 convolution over few input channels (a network's first layer: 3 colour
// channels in, UltraFace's and YOLOv8n's 3 -> 16, MobileNet's 3 -> 32) read straight from the input
// planes: the even and odd columns a stride-2 tap reads are taken apart in registers, so neither
// the phase planes nor the scattered output tiles of the GEMM path exist (with the driver's
// bookkeeping, about 30 % of UltraFace's first convolution on AVX-512).
#pragma once
#include <cstddef>

namespace os {

// The most input channels Conv3x3S2Fn takes (ops/conv.cc sends it no more).
constexpr size_t kConv3x3S2MaxChannels = 8;

// Output rows [oy0, oy1) of y[i][oy][j] = act(bias[i] + sum over c < channels, ky, kx < 3 of
// a(i, (c * 3 + ky) * 3 + kx) * x[c][2 oy + ky - pad_top][2 j + kx - pad_left]) for i < m and j < ow,
// inputs outside the height x width planes reading as zero (and not read).
// x: channel c's plane at x + c * x_plane; panels: the weight as the GEMM's packed A panels
// (GemmKernels::pack_a, mr rows each, ceil(m / mr) of them, depth channels * 9); bias: m values or
// null; y: output channel i's oh x ow plane at y + i * y_plane. activation: a UnaryOp value (relu,
// sigmoid, silu, tanh) or -1.
using Conv3x3S2Fn = void (*)(size_t m, size_t channels, size_t oy0, size_t oy1, size_t ow, size_t height, size_t width,
                             size_t pad_top, size_t pad_left, const float* x, size_t x_plane, const float* panels,
                             const float* bias, int activation, float* y, size_t y_plane);

}  // namespace os
