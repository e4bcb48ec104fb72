// conv_transpose2d_f32: 1-D/2-D ConvTranspose over NCHW float32 with groups, strides, dilations and
// begin pads (output size and end pads come from TS: output_padding / output_shape / auto_pad).
//   buffers: x (float32[N*C*H*W]), w (float32[C*M/group*kh*kw]), bias (float32[M], or empty),
//            y (float32[N*M*OH*OW])
//   params:  N, C, H, W, M, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, OH, OW,
//            group, hasBias, then optionally the element type of x, w and y (ElemType f32 or f16:
//            fp16 arithmetic; the GEMM converts x and w as it packs them, and each output plane is
//            summed in float32 and rounded once; the bias stays float32)
//
// Per image: columns[M*kh*kw x H*W] = W_g^T . X_g for every group (one threaded GEMM), then col2im
// adds each column row into its output channel's plane (threaded over channels, so no two threads
// write one plane).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../threads/pool.h"
#include "half-rows.h"

namespace os {

void run_conv_transpose2d_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("conv_transpose2d_f32", bufs, nbufs, params, nparams, 4, 17);
  constexpr long long kDim = 1LL << 31;
  const auto n = static_cast<size_t>(a.integer(0, 0, kDim));
  const auto c = static_cast<size_t>(a.integer(1, 1, kDim));
  const auto h = static_cast<size_t>(a.integer(2, 0, kDim));
  const auto w = static_cast<size_t>(a.integer(3, 0, kDim));
  const auto m = static_cast<size_t>(a.integer(4, 0, kDim));
  const auto kh = static_cast<size_t>(a.integer(5, 1, 1 << 16));
  const auto kw = static_cast<size_t>(a.integer(6, 1, 1 << 16));
  const auto sh = static_cast<size_t>(a.integer(7, 1, 1 << 16));
  const auto sw = static_cast<size_t>(a.integer(8, 1, 1 << 16));
  const auto dh = static_cast<size_t>(a.integer(9, 1, 1 << 16));
  const auto dw = static_cast<size_t>(a.integer(10, 1, 1 << 16));
  const auto pt = static_cast<ptrdiff_t>(a.integer(11, 0, 1 << 16));
  const auto pl = static_cast<ptrdiff_t>(a.integer(12, 0, 1 << 16));
  const auto oh = static_cast<size_t>(a.integer(13, 0, kDim));
  const auto ow = static_cast<size_t>(a.integer(14, 0, kDim));
  const auto group = static_cast<size_t>(a.integer(15, 1, kDim));
  const bool has_bias = a.integer(16, 0, 1) != 0;
  const bool half = nparams > 17 && a.integer(17, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
  const ElemType type = half ? ElemType::f16 : ElemType::f32;
  const size_t size = half ? sizeof(uint16_t) : sizeof(float);
  if (c % group != 0 || m % group != 0) a.fail("channels are not divisible by group");
  const size_t cg = c / group, mg = m / group, taps = kh * kw, hw = h * w, ohw = oh * ow;
  const double in = static_cast<double>(n) * c * hw;
  const double out = static_cast<double>(n) * m * ohw;
  const double cols = static_cast<double>(m) * taps * hw;
  if (in > 0x1p48 || out > 0x1p48 || cols > 0x1p40 || static_cast<double>(c) * mg * taps > 0x1p40) {
    a.fail("tensor sizes are out of range");
  }
  // x, w and y: float32 or float16 bits, addressed in bytes.
  const auto bytes = [&](size_t i, size_t count) {
    return half ? reinterpret_cast<char*>(a.buffer<uint16_t>(i, count)) : reinterpret_cast<char*>(a.buffer<float>(i, count));
  };
  const char* x = bytes(0, n * c * hw);
  const char* wt = bytes(1, c * mg * taps);
  const float* bias = has_bias ? a.buffer<float>(2, m) : nullptr;
  char* y = bytes(3, n * m * ohw);
  if (n == 0 || m == 0 || ohw == 0) return;

  const GemmKernels& gk = kernels().gemm;
  Workspace col(m * taps * hw);
  std::vector<GemmProblem> problems(group);
  for (size_t b = 0; b < n; b++) {
    const char* xb = x + b * c * hw * size;
    for (size_t gi = 0; gi < group; gi++) {
      GemmProblem& p = problems[gi];
      p.m = mg * taps;
      p.n = hw;
      p.k = cg;
      // A(i, ci) = W[gi*cg + ci][i]: the weight read transposed; B(ci, j) = X[gi*cg + ci][j].
      p.a.raw = MatrixRef{wt + gi * cg * mg * taps * size, type, 1, static_cast<ptrdiff_t>(mg * taps), 1.0f, 0.0f};
      p.b.raw = MatrixRef{xb + gi * cg * hw * size, type, static_cast<ptrdiff_t>(hw), 1, 1.0f, 0.0f};
      p.c = col.data() + gi * mg * taps * hw;
      p.ldc = hw;
    }
    if (hw > 0) gemm_run(gk, problems.data(), problems.size());
    char* yb = y + b * m * ohw * size;
    const float* cb = col.data();
    // Adds output channel mi's column rows into its plane (col2im).
    const auto add_columns = [&](size_t mi, float* plane) {
      if (hw == 0) return;
      for (size_t ky = 0; ky < kh; ky++) {
        for (size_t kx = 0; kx < kw; kx++) {
          const float* src = cb + (mi * taps + ky * kw + kx) * hw;
          // Input column ix lands on output column ix*sw - pl + kx*dw: the valid range of ix.
          const ptrdiff_t x0 = static_cast<ptrdiff_t>(kx * dw) - pl;
          const ptrdiff_t s = static_cast<ptrdiff_t>(sw);
          const ptrdiff_t lo = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
          const ptrdiff_t hi = std::min<ptrdiff_t>(static_cast<ptrdiff_t>(w),
                                                   x0 >= static_cast<ptrdiff_t>(ow) ? 0 : (static_cast<ptrdiff_t>(ow) - 1 - x0) / s + 1);
          if (lo >= hi) continue;
          for (size_t iy = 0; iy < h; iy++) {
            const ptrdiff_t oy = static_cast<ptrdiff_t>(iy * sh + ky * dh) - pt;
            if (oy < 0 || oy >= static_cast<ptrdiff_t>(oh)) continue;
            float* dst = plane + oy * static_cast<ptrdiff_t>(ow);
            const float* s_row = src + iy * w;
            for (ptrdiff_t ix = lo; ix < hi; ix++) dst[x0 + ix * s] += s_row[ix];
          }
        }
      }
    };
    parallel_for(m, 1, [&](size_t begin, size_t end) {
      for (size_t mi = begin; mi < end; mi++) {
        // float16: the plane is summed in the calling thread's float32 buffer, then rounded.
        float* plane = half ? thread_floats(0, ohw) : reinterpret_cast<float*>(yb) + mi * ohw;
        std::fill(plane, plane + ohw, bias ? bias[mi] : 0.0f);
        add_columns(mi, plane);
        if (half) kernels().f32_to_f16(ohw, plane, reinterpret_cast<uint16_t*>(yb) + mi * ohw);
      }
    });
  }
}

}  // namespace os
