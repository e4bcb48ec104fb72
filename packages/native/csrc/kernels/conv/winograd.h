// Winograd F(4x4, 3x3) transforms (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015, points 0, +-1, +-2) for 3x3 stride-1 convolutions: each 4x4 block of outputs
// ("tile") is 36 products of transformed inputs and weights per channel pair instead of 144
// multiply-adds, so the GEMM between them does 4 times less work. Used where that outweighs the
// transforms: an ISA without FMA (WebAssembly SIMD128) for every such convolution, AVX2 (and AVX-512,
// with AVX2's transforms) for those whose shapes pass its table's rule (WinogradKernels). The GEMM
// itself is the table's micro-kernel (kernels/gemm).
//
//   V = B^T d B  (input tile d, 6x6)   B^T = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0  4 -4 -1 1 0;
//                                             0 -2 -1  2 1 0;  0  2 -1 -2 1 0;  0  4  0 -5 0 1]
//   U = G g G^T  (weights g, 3x3)      G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
//                                             1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   Y = A^T M A  (M = sum over channels of U . V elementwise, 6x6; Y 4x4)
//                                      A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// The 36 positions xi = 6i + j of a 6x6 transform are 36 independent GEMMs.
#pragma once
#include <cstddef>

namespace os {

constexpr size_t kWinoTile = 4;                        // outputs per tile side
constexpr size_t kWinoAlpha = kWinoTile + 2;           // inputs per tile side
constexpr size_t kWinoPositions = kWinoAlpha * kWinoAlpha;

// Input transform of `tiles` consecutive tiles of a tile row (a multiple of `step`, the vector
// width) for `channels` channels. The tile row's 6 input rows come split into kWinoTile phases of
// padded columns: row r of channel ch holds columns p, p + 4, p + 8, ... at planes + p * phase_stride
// + ch * channel_stride + r * row_stride, so tile t reads entry t of every phase and entry t + 1 of
// phases 0 and 1 (readable for tiles + step + 1 floats). Value xi of channel ch and tile t goes to
// dst[xi * xi_stride + ch * ld + t]: each position's B panel rows of the GEMM, written in order.
using WinoInputFn = void (*)(size_t tiles, size_t channels, const float* planes, size_t phase_stride,
                             size_t row_stride, size_t channel_stride, float* dst, size_t ld, size_t xi_stride);

// Output transform of one output channel for `tiles` consecutive tiles: m[xi * xi_stride + t] holds
// position xi of tile t (readable up to `tiles` rounded up to `step`). Writes act(Y + bias) to the
// first `rows` (1 to 4) of the tile row's output rows, y + i * y_stride (columns 4t to 4t + 3), the
// first `width` columns only. activation: a UnaryOp value or -1.
using WinoOutputFn = void (*)(size_t tiles, const float* m, size_t xi_stride, float bias, int activation, float* y,
                              size_t y_stride, size_t rows, size_t width);

// Null where the ISA does not use the Winograd path (the convolution then runs as a direct GEMM).
struct WinogradKernels {
  size_t step = 0;  // tiles per vector
  WinoInputFn input = nullptr;
  WinoOutputFn output = nullptr;
  // Convolutions whose transformed weights (36 x M x C floats) take more bytes run as a direct GEMM
  // (ops/conv.cc winograd_fits).
  size_t max_weight_bytes = 16 << 20;
  // Whether a kept weight is prepared in transformed form (4 times the floats of the weight), or
  // transformed per call into a buffer of the call.
  bool keep_transformed = true;
  // Per call only (keep_transformed false), a convolution's shape may send it to the direct GEMM:
  // with r the 36 GEMMs' multiply-adds over the direct one's (tiles rounded up to whole vectors and
  // panels: small planes waste most of them) and d = C M / (C + M) (the GEMMs' depth against the
  // transforms' work per tile), the Winograd path runs where r <= max_macs_ratio and d / r >=
  // min_depth_gain, and a task's input planes (C channels of one row of tiles, whole rows: 24 C
  // padded rows of the input) take at most max_plane_bytes. 0: every convolution that fits.
  double max_macs_ratio = 0;
  double min_depth_gain = 0;
  size_t max_plane_bytes = 0;
};

}  // namespace os
