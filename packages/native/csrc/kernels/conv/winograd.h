// Winograd F(2x2, 3x3) transforms (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015) for 3x3 stride-1 convolutions: each 2x2 block of outputs ("tile") is 16
// products of transformed inputs and weights per channel pair instead of 36 multiply-adds, so the
// GEMM between them does 2.25 times less work. Used where multiply-adds are dear: an ISA without FMA
// (WebAssembly SIMD128). The GEMM itself is the table's micro-kernel (kernels/gemm).
//
//   V = B^T d B  (input tile d, 4x4)   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   U = G g G^T  (weights g, 3x3)      G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   Y = A^T M A  (M = sum over channels of U . V elementwise, 4x4; Y 2x2)
//                                      A^T = [1 1 1 0; 0 1 -1 -1]
// The 16 positions xi = 4i + j of a 4x4 transform are 16 independent GEMMs.
#pragma once
#include <cstddef>

namespace os {

// Input transform of `tiles` consecutive tiles of a tile row (a multiple of `step`, the vector
// width) for `channels` channels. The tile row's 4 input rows come split into even and odd padded
// columns: row r of channel ch holds columns 0, 2, 4, ... at even + ch * channel_stride +
// r * row_stride and columns 1, 3, 5, ... at odd + (the same), so tile t reads entries t and t + 1
// of each (readable for tiles + step + 1 floats). Value xi of channel ch and tile t goes to
// dst[xi * xi_stride + ch * ld + t]: each position's B panel rows of the GEMM, written in order.
using WinoInputFn = void (*)(size_t tiles, size_t channels, const float* even, const float* odd, size_t row_stride,
                             size_t channel_stride, float* dst, size_t ld, size_t xi_stride);

// Output transform of one output channel for `tiles` consecutive tiles: m[xi * xi_stride + t] holds
// position xi of tile t (readable up to `tiles` rounded up to `step`). Writes
// act(Y + bias) to output row y0 (columns 2t, 2t + 1) and y1 (the row below; null: dropped), the
// first `width` columns only. activation: a UnaryOp value or -1.
using WinoOutputFn = void (*)(size_t tiles, const float* m, size_t xi_stride, float bias, int activation, float* y0,
                              float* y1, size_t width);

// Null where the ISA does not use the Winograd path (the convolution then runs as a direct GEMM).
struct WinogradKernels {
  size_t step = 0;  // tiles per vector
  WinoInputFn input = nullptr;
  WinoOutputFn output = nullptr;
};

}  // namespace os
