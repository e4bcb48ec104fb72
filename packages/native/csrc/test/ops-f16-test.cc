// Test adapter for the operators that compute in float16 on ARM (the gemm_f16 kernels), where the
// kernel tests link the operators. Mainly convolutions (ops/conv.cc: float16 phase planes,
// ukernel_rows, float16 A panels): conv2d_f32 with float16 input and output on the NEON table,
// against the definition in double precision. The geometries cover the planes' layouts: bare rows whose padding the GEMM masks
// (3x3 and 5x5 "same"), padded rows (stride 2, 9 taps across), pointwise, dilation with groups, the
// nearest-upsampled input, a 1-D convolution (fewer output rows than threads: shared planes), two
// images; weights from float32, float16 and uint8, and prepacked float32 panels (gemm_pack: a
// caching provider's, re-packed in float16 per call); bias; relu.
//
// Integer cases: small integers whose sums (below 2048) float16 holds exactly: tolerance 0. Fraction
// cases (multiples of 2^-10 in [-1, 1], exact in float16) over K = 576 (three K blocks): the bound of
// gemm-f16-test.cc, gamma_256 * sum |w x| for the float16 sums, plus float32's 2^-24 per block and the
// bias added, then the rounding of the result to float16 (u = 2^-11 relative). A last case tells the
// arithmetic apart: 2048 + 1 + 1 + 1 summed in order in float16 stays 2048 (each + 1 is a tie that
// rounds to even), where float32 gives 2051, rounded to 2052: for convolutions, and for matmul_f32 and
// gemm_f32 over a prepacked B (float32 panels, re-packed in float16 per call).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "harness.h"

#if defined(__aarch64__)
#include "../api/api.h"
#include "../dispatch/isa.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../kernels/gemm/gemm-f16.h"

namespace os::test {
namespace {

struct Geometry {
  size_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pad, group, up;
  size_t oh() const { return (h + 2 * pad - dh * (kh - 1) - 1) / sh + 1; }
  size_t ow() const { return (w + 2 * pad - dw * (kw - 1) - 1) / sw + 1; }
  size_t depth() const { return c / group * kh * kw; }
};

struct Inputs {
  std::vector<float> x, w, bias;  // x: N x C x (H/up) x (W/up) as stored
};

// Runs conv2d_f32 on float16 bits of `in` (weights stored as `wtype`, uint8 only for integers, as
// q = v + 8 with zero point 8; or `packed` by gemm_pack from float32) and returns the output as floats.
std::vector<float> run_conv(const Geometry& g, const Inputs& in, ElemType wtype, int act, bool packed = false) {
  std::vector<uint16_t> x16(in.x.size()), w16(in.w.size()), y16(g.n * g.m * g.oh() * g.ow());
  std::vector<uint8_t> w8(in.w.size());
  for (size_t i = 0; i < in.x.size(); i++) x16[i] = half_bits(in.x[i]);
  for (size_t i = 0; i < in.w.size(); i++) {
    w16[i] = half_bits(in.w[i]);
    w8[i] = static_cast<uint8_t>(in.w[i] + 8.0f);
  }
  std::vector<float> wf = in.w, bias = in.bias;
  Buf bufs[4] = {{x16.data(), x16.size() * 2}, {wf.data(), wf.size() * 4}, {bias.data(), bias.size() * 4},
                 {y16.data(), y16.size() * 2}};
  if (wtype == ElemType::f16) bufs[1] = {w16.data(), w16.size() * 2};
  if (wtype == ElemType::u8) bufs[1] = {w8.data(), w8.size()};
  std::vector<float> panels;
  if (packed) {
    const size_t mg = g.m / g.group;
    panels.resize(packed_floats(PackedInfo{PackedKind::a, kernels().gemm.mr, g.group, mg, g.depth()}));
    const Buf pack_bufs[2] = {bufs[1], {panels.data(), panels.size() * 4}};
    const double pack_params[] = {static_cast<double>(PackedKind::a), static_cast<double>(wtype), 1.0, 0.0,
                                  static_cast<double>(g.group), static_cast<double>(mg), static_cast<double>(g.depth()), 0};
    run_gemm_pack(pack_bufs, 2, pack_params, 8);
    bufs[1] = pack_bufs[1];
  }
  const double params[] = {static_cast<double>(g.n), static_cast<double>(g.c), static_cast<double>(g.h),
                           static_cast<double>(g.w), static_cast<double>(g.m), static_cast<double>(g.kh),
                           static_cast<double>(g.kw), static_cast<double>(g.sh), static_cast<double>(g.sw),
                           static_cast<double>(g.dh), static_cast<double>(g.dw), static_cast<double>(g.pad),
                           static_cast<double>(g.pad), static_cast<double>(g.oh()), static_cast<double>(g.ow()),
                           static_cast<double>(g.group), static_cast<double>(act), bias.empty() ? 0.0 : 1.0,
                           packed ? -1.0 : static_cast<double>(wtype), 1.0, wtype == ElemType::u8 ? 8.0 : 0.0,
                           static_cast<double>(g.up), 2, 1, 0, 2, 1, 0};
  run_conv2d_f32(bufs, 4, params, sizeof params / sizeof params[0]);
  std::vector<float> y(y16.size());
  for (size_t i = 0; i < y.size(); i++) y[i] = half_to_float(y16[i]);
  return y;
}

// The definition: sums in double, and per output the magnitude sum |w x| (+ |bias|).
void reference(const Geometry& g, const Inputs& in, int act, std::vector<double>& sum, std::vector<double>& mag) {
  const size_t oh = g.oh(), ow = g.ow(), cg = g.c / g.group, mg = g.m / g.group;
  const size_t sh = g.h / g.up, sw = g.w / g.up;
  sum.assign(g.n * g.m * oh * ow, 0.0);
  mag.assign(sum.size(), 0.0);
  for (size_t b = 0; b < g.n; b++) {
    for (size_t m = 0; m < g.m; m++) {
      for (size_t oy = 0; oy < oh; oy++) {
        for (size_t ox = 0; ox < ow; ox++) {
          double s = in.bias.empty() ? 0.0 : in.bias[m], a = std::fabs(s);
          for (size_t c = 0; c < cg; c++) {
            for (size_t ky = 0; ky < g.kh; ky++) {
              for (size_t kx = 0; kx < g.kw; kx++) {
                const ptrdiff_t iy = static_cast<ptrdiff_t>(oy * g.sh + ky * g.dh) - static_cast<ptrdiff_t>(g.pad);
                const ptrdiff_t ix = static_cast<ptrdiff_t>(ox * g.sw + kx * g.dw) - static_cast<ptrdiff_t>(g.pad);
                if (iy < 0 || ix < 0 || iy >= static_cast<ptrdiff_t>(g.h) || ix >= static_cast<ptrdiff_t>(g.w)) continue;
                const size_t ci = m / mg * cg + c;
                const double xv = in.x[((b * g.c + ci) * sh + iy / g.up) * sw + ix / g.up];
                const double p = in.w[((m * cg + c) * g.kh + ky) * g.kw + kx] * xv;
                s += p;
                a += std::fabs(p);
              }
            }
          }
          const size_t at = ((b * g.m + m) * oh + oy) * ow + ox;
          sum[at] = act == 0 ? std::max(s, 0.0) : s;
          mag[at] = a;
        }
      }
    }
  }
}

Inputs inputs(Rng& rng, const Geometry& g, bool integers, bool bias) {
  Inputs in;
  in.x.resize(g.n * g.c * (g.h / g.up) * (g.w / g.up));
  in.w.resize(g.m * g.depth());
  for (float& v : in.x) v = half_exact_value(rng, integers);
  for (float& v : in.w) v = half_exact_value(rng, integers);
  if (bias) {
    in.bias.resize(g.m);
    for (float& v : in.bias) v = half_exact_value(rng, true);
  }
  return in;
}

void run(Check& check, const KernelTable& isa, const KernelTable&) {
  if (!isa.gemm_f16.ukernel_rows) {
    check.begin("absent", "FP16 arithmetic: %d", cpu_has_fp16_arithmetic());
    check.expect(!cpu_has_fp16_arithmetic(), "the table lacks the float16 GEMM on a CPU with FP16 arithmetic");
    return;
  }
  Rng rng(check.seed());
  const Geometry exact[] = {
      {1, 5, 9, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // 3x3 same: bare rows, masked padding
      {1, 3, 10, 13, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1},   // stride 2: four phase planes, padded rows
      {1, 20, 6, 7, 9, 1, 1, 1, 1, 1, 1, 0, 1, 1},    // pointwise
      {1, 6, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1},    // dilation 2, two groups
      {1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2},     // nearest 2x upsampled input
      {1, 3, 1, 40, 5, 1, 3, 1, 1, 1, 1, 0, 1, 1},    // 1-D: one output row
      {2, 3, 7, 9, 10, 5, 5, 1, 1, 1, 1, 2, 1, 1},    // 5x5 same, two images
      {1, 2, 5, 20, 3, 1, 9, 1, 1, 1, 1, 0, 1, 1},    // 9 taps across: padded rows at stride 1
  };
  size_t i = 0;
  for (const Geometry& g : exact) {
    // Weight types in turn, then each geometry again from prepacked float16 panels.
    for (const bool packed : {false, true}) {
      const auto wtype = packed ? ElemType::f16 : static_cast<ElemType>(i % 3);
      const int act = i % 2 == 0 ? 0 : -1;
      const Inputs in = inputs(rng, g, true, i % 4 != 3);
      std::vector<double> sum, mag;
      reference(g, in, act, sum, mag);
      std::vector<float> want(sum.begin(), sum.end());
      check.begin("conv exact", "n=%zu c=%zu %zux%zu m=%zu k=%zux%zu s=%zu d=%zu pad=%zu group=%zu up=%zu w=%d%s act=%d",
                  g.n, g.c, g.h, g.w, g.m, g.kh, g.kw, g.sh, g.dh, g.pad, g.group, g.up, static_cast<int>(wtype),
                  packed ? " packed" : "", act);
      const std::vector<float> got = run_conv(g, in, wtype, act, packed);
      check.compare(got.data(), want.data(), want.size(), Tolerance{});
    }
    i++;
  }
  // K = 64 x 9: three float16 blocks, within the bound.
  const Geometry deep{1, 64, 12, 14, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  for (const ElemType wtype : {ElemType::f32, ElemType::f16}) {
    const Inputs in = inputs(rng, deep, false, true);
    std::vector<double> sum, mag;
    reference(deep, in, -1, sum, mag);
    const double u = std::ldexp(1.0, -11), gamma = kGemmF16Kc * u / (1 - kGemmF16Kc * u);
    double bound = 0.0;
    for (size_t t = 0; t < sum.size(); t++) {
      const double e = gamma * mag[t] + 4 * std::ldexp(1.0, -24) * mag[t];
      bound = std::max(bound, e + u * (std::fabs(sum[t]) + e));
    }
    std::vector<float> want(sum.begin(), sum.end());
    check.begin("conv bounded", "c=64 3x3 m=11, K=576, w=%d", static_cast<int>(wtype));
    const std::vector<float> got = run_conv(deep, in, wtype, -1);
    check.compare(got.data(), want.data(), want.size(), Tolerance{0, static_cast<float>(bound)});
  }
  // Pointwise over 4 channels [2048, 1, 1, 1] with weights 1: float16 arithmetic gives 2048.
  const Geometry probe{1, 4, 1, 3, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1};
  Inputs in;
  in.x = {2048, 2048, 2048, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  in.w = {1, 1, 1, 1};
  const float want[3] = {2048, 2048, 2048};
  for (const bool packed : {false, true}) {
    check.begin("conv float16 sums", "2048 + 1 + 1 + 1%s", packed ? ", packed weight" : "");
    const std::vector<float> got = run_conv(probe, in, ElemType::f32, -1, packed);
    check.compare(got.data(), want, 3, Tolerance{});
  }
  // The same sum as [1 x 4] . [4 x 3] of ones, B prepacked, through MatMul and Gemm.
  std::vector<float> b(12, 1.0f), panels(packed_floats(PackedInfo{PackedKind::b, kernels().gemm.nr, 1, 3, 4}));
  const Buf pack_bufs[2] = {{b.data(), b.size() * 4}, {panels.data(), panels.size() * 4}};
  const double pack_params[] = {static_cast<double>(PackedKind::b), 0, 1.0, 0.0, 1, 3, 4, 0};
  run_gemm_pack(pack_bufs, 2, pack_params, 8);
  uint16_t a16[4] = {half_bits(2048), half_bits(1), half_bits(1), half_bits(1)};
  for (const bool gemm : {false, true}) {
    uint16_t y16[3] = {};
    const Buf bufs[4] = {{a16, sizeof a16}, pack_bufs[1], {nullptr, 0}, {y16, sizeof y16}};
    check.begin("matmul float16 sums", "%s, 2048 + 1 + 1 + 1, B prepacked", gemm ? "gemm_f32" : "matmul_f32");
    if (gemm) {
      const double params[] = {1, 3, 4, 0, 0, 1.0, 0.0, 0, 0, 0, -1, 1.0, 0.0, 0, 0, 1, 1};
      run_gemm_f32(bufs, 4, params, sizeof params / sizeof params[0]);
    } else {
      const Buf mm[3] = {bufs[0], bufs[1], bufs[3]};
      const double params[] = {1, 4, 3, 1, -1, 1.0, 0.0, 0, 0, 1, 1};
      run_matmul_f32(mm, 3, params, sizeof params / sizeof params[0]);
    }
    float got[3];
    for (size_t j = 0; j < 3; j++) got[j] = half_to_float(y16[j]);
    check.compare(got, want, 3, Tolerance{});
  }
}

const Register kRegister({"ops_f16", {field(&KernelTable::gemm_f16)}, &run, nullptr});

}  // namespace
}  // namespace os::test
#endif
