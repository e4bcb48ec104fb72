// conv2d_f32: 1-D/2-D convolution over NCHW float32 with groups, strides, dilations and begin
// pads (end pads follow from OH/OW), plus a per-channel bias and a fused activation.
//   buffers: x (float32[N*C*H*W]), w (float32[M*C/group*kh*kw], or packed A from gemm_pack: `group`
//            matrices [M/group x C/group*kh*kw]), bias (float32[M], or empty), y (float32[N*M*OH*OW])
//   params:  N, C, H, W, M, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, OH, OW,
//            group, activation (UnaryOp relu/sigmoid/silu/tanh, or -1), wPacked, hasBias
//
// As GEMM per image and group: M/group output channels x output pixels x C/group*kh*kw. B is never
// materialised as an im2col matrix: the input is copied into zero-padded "phase planes" (one per
// stride phase), where every kernel tap's B row is a contiguous shifted view, so B is read from row
// pointers. Output rows are computed Wq = OW + (kw-1)*dw/sw wide and the extra columns dropped on
// store. Images go by bands of output rows (at least one per thread), each task building its
// band's planes (sized for L2) and multiplying them; with fewer rows than threads (1-D) one set of
// planes is shared and the GEMM tiles are split. A pointwise convolution multiplies the input
// planes directly. Depthwise convolutions (one input channel per group) run a direct kernel over
// the same planes.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../threads/pool.h"

namespace os {

namespace {

struct ConvGeometry {
  size_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, group;
  size_t cg() const { return c / group; }
  size_t mg() const { return m / group; }
  size_t depth() const { return cg() * kh * kw; }
};

// The phase planes of one input channel for a band of `rows` output rows: plane (ry, rx) holds
// padded input rows ry, ry + sh, ... and columns rx, rx + sw, ..., so tap (ky, kx) is plane
// ((ky*dh) % sh, (kx*dw) % sw) shifted by ((ky*dh) / sh) rows and ((kx*dw) / sw) columns.
struct Planes {
  size_t hq, wq, plane, per_channel;
  Planes(const ConvGeometry& g, size_t rows) {
    wq = g.ow + (g.kw - 1) * g.dw / g.sw;
    hq = rows + (g.kh - 1) * g.dh / g.sh;
    plane = hq * wq;
    per_channel = g.sh * g.sw * plane;
  }
  // Tap (ky, kx)'s offset from the channel's first plane.
  size_t tap(const ConvGeometry& g, size_t ky, size_t kx) const {
    const size_t oy = ky * g.dh;
    const size_t ox = kx * g.dw;
    return ((oy % g.sh) * g.sw + ox % g.sw) * plane + (oy / g.sh) * wq + ox / g.sw;
  }
  // Reads of the last plane's padded columns run past its end by at most this much.
  size_t guard() const { return wq + 64; }
  // Floats of the planes of `channels` channels and the guard.
  size_t floats(size_t channels) const { return channels * per_channel + guard(); }
};

size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

// Writes the phase planes of one channel (xc: its H x W plane) for the band starting at output
// row r0 to dst.
void build_planes(const ConvGeometry& g, const Planes& pl, const float* xc, size_t r0, float* dst) {
  const GatherStridedFn gather = kernels().gather_strided;
  for (size_t ry = 0; ry < g.sh; ry++) {
    for (size_t rx = 0; rx < g.sw; rx++) {
      float* out = dst + (ry * g.sw + rx) * pl.plane;
      // Columns j whose input column j*sw + rx - pl lies in [0, W).
      const size_t jlo = std::min(pl.wq, g.pl > rx ? ceil_div(g.pl - rx, g.sw) : 0);
      const size_t jhi = std::max(jlo, std::min(pl.wq, g.w + g.pl > rx ? (g.w + g.pl - rx - 1) / g.sw + 1 : 0));
      for (size_t i = 0; i < pl.hq; i++) {
        float* row = out + i * pl.wq;
        const size_t iy = (r0 + i) * g.sh + ry;
        if (iy < g.pt || iy - g.pt >= g.h || jlo == jhi) {
          std::memset(row, 0, pl.wq * sizeof(float));
          continue;
        }
        const float* src = xc + (iy - g.pt) * g.w;
        std::memset(row, 0, jlo * sizeof(float));
        gather(jhi - jlo, src + jlo * g.sw + rx - g.pl, g.sw, row + jlo);
        std::memset(row + jhi, 0, (pl.wq - jhi) * sizeof(float));
      }
    }
  }
}

// Row pointers of the implicit im2col matrix over planes at xp: row (c, ky, kx) of every channel.
void tap_rows(const ConvGeometry& g, const Planes& pl, const float* xp, const float** rows) {
  for (size_t c = 0; c < g.c; c++) {
    for (size_t ky = 0; ky < g.kh; ky++) {
      for (size_t kx = 0; kx < g.kw; kx++) rows[(c * g.kh + ky) * g.kw + kx] = xp + c * pl.per_channel + pl.tap(g, ky, kx);
    }
  }
}

thread_local std::vector<float> t_planes;
thread_local std::vector<const float*> t_rows;

// Planes of one band are meant to stay in L2 while its GEMM runs.
constexpr size_t kBandBytes = 256 * 1024;

struct ConvGemm {
  const ConvGeometry& g;
  const float* w;
  bool packed;
  const float* bias;
  int act;
  float* y;

  // The per-group products over the implicit im2col rows of an output band [r0, r0 + rows).
  // in_place: B read from the rows, not packed. Over phase planes the taps of a channel are shifted
  // views of the same few rows, which stay in cache (measured faster at strides 1 and 2).
  void problems(std::vector<GemmProblem>& ps, const float* const* rows, size_t b, size_t r0, size_t nrows,
                size_t pitch, bool in_place) const {
    const GemmKernels& gk = kernels().gemm;
    const size_t mg = g.mg(), depth = g.depth(), ohw = g.oh * g.ow;
    const size_t panel_floats = ceil_div(mg, gk.mr) * gk.mr * depth;
    ps.resize(g.group);
    for (size_t gi = 0; gi < g.group; gi++) {
      GemmProblem& p = ps[gi];
      p.m = mg;
      p.n = nrows * pitch;
      p.k = depth;
      if (packed) {
        p.a.packed = w + kPackedHeader + gi * panel_floats;
      } else {
        p.a.raw = MatrixRef{w + gi * mg * depth, ElemType::f32, static_cast<ptrdiff_t>(depth), 1, 1.0f, 0.0f};
      }
      p.b.rows = rows + gi * depth;
      p.b.rows_in_place = in_place;
      p.c = y + (b * g.m + gi * mg) * ohw + r0 * g.ow;
      p.ldc = ohw;
      if (pitch != g.ow) {
        p.pitch = pitch;
        p.width = g.ow;
      }
      p.row_bias = bias ? bias + gi * mg : nullptr;
      p.activation = act;
    }
  }

  void run(const float* x) const {
    const GemmKernels& gk = kernels().gemm;
    const size_t hw = g.h * g.w;
    const bool pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
                           g.oh == g.h && g.ow == g.w;
    std::vector<GemmProblem> ps;
    if (pointwise) {
      // The input planes are the B matrix: one pointer per channel.
      std::vector<const float*> rows(g.c);
      for (size_t b = 0; b < g.n; b++) {
        for (size_t c = 0; c < g.c; c++) rows[c] = x + (b * g.c + c) * hw;
        // Channel planes are far apart: packing B panels reads them as streams (measured faster).
        problems(ps, rows.data(), b, 0, g.oh, g.ow, false);
        gemm_run(gk, ps.data(), ps.size());
      }
      return;
    }
    const Planes whole(g, g.oh);
    const size_t row_bytes = g.c * g.sh * g.sw * whole.wq * sizeof(float);
    const auto threads = static_cast<size_t>(pool_threads());
    // Bands small enough for L2, as many as a multiple of the threads, of equal height.
    const size_t fit = std::clamp<size_t>(kBandBytes / row_bytes, 1, g.oh);
    const size_t even = std::min(g.oh, ceil_div(ceil_div(g.oh, fit), threads) * threads);
    const size_t band = ceil_div(g.oh, even);
    const size_t bands = ceil_div(g.oh, band);
    if (bands >= threads) {
      // Each task builds the planes of one band in its own buffer and multiplies them: the planes
      // stay in the core's cache (measured well ahead of sharing one set of planes, even at two
      // bands for a 20x20 image).
      parallel_for(g.n * bands, 1, [&](size_t begin, size_t end) {
        std::vector<GemmProblem> tps;
        for (size_t t = begin; t < end; t++) {
          const size_t b = t / bands, r0 = (t % bands) * band, nrows = std::min(band, g.oh - r0);
          const Planes pl(g, nrows);
          t_planes.resize(pl.floats(g.c));
          t_rows.resize(g.c * g.kh * g.kw);
          float* xp = t_planes.data();
          for (size_t c = 0; c < g.c; c++) build_planes(g, pl, x + (b * g.c + c) * hw, r0, xp + c * pl.per_channel);
          std::memset(xp + g.c * pl.per_channel, 0, pl.guard() * sizeof(float));
          tap_rows(g, pl, xp, t_rows.data());
          problems(tps, t_rows.data(), b, r0, nrows, pl.wq, true);
          gemm_run(gk, tps.data(), tps.size(), true);
        }
      });
      return;
    }
    // Fewer output rows than threads (1-D convolutions): the planes of the whole image, shared,
    // and the GEMM tiles spread over threads.
    Workspace planes(whole.floats(g.c));
    std::vector<const float*> rows(g.c * g.kh * g.kw);
    for (size_t b = 0; b < g.n; b++) {
      float* xp = planes.data();
      for (size_t c = 0; c < g.c; c++) build_planes(g, whole, x + (b * g.c + c) * hw, 0, xp + c * whole.per_channel);
      std::memset(xp + g.c * whole.per_channel, 0, whole.guard() * sizeof(float));
      tap_rows(g, whole, xp, rows.data());
      problems(ps, rows.data(), b, 0, g.oh, whole.wq, true);
      gemm_run(gk, ps.data(), ps.size());
    }
  }
};

// One input channel per group: each output channel is a sum of kh*kw shifted planes.
void conv_depthwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, int act, float* y) {
  const Planes pl(g, g.oh);
  const size_t taps = g.kh * g.kw;
  const size_t mult = g.mg();
  const size_t ohw = g.oh * g.ow;
  std::vector<ptrdiff_t> shifts(taps);
  for (size_t ky = 0; ky < g.kh; ky++) {
    for (size_t kx = 0; kx < g.kw; kx++) shifts[ky * g.kw + kx] = static_cast<ptrdiff_t>(pl.tap(g, ky, kx));
  }
  const DwConvFn dw = kernels().dwconv;
  parallel_for(g.n * g.c, 1, [&](size_t begin, size_t end) {
    t_planes.resize(pl.floats(1));
    float* xp = t_planes.data();
    for (size_t i = begin; i < end; i++) {
      const size_t b = i / g.c, c = i % g.c;
      build_planes(g, pl, x + i * g.h * g.w, 0, xp);
      for (size_t t = 0; t < mult; t++) {
        const size_t m = c * mult + t;
        float* ym = y + (b * g.m + m) * ohw;
        for (size_t oy = 0; oy < g.oh; oy++) {
          dw(g.ow, taps, xp + oy * pl.wq, shifts.data(), w + m * taps, bias ? bias[m] : 0.0f, act, ym + oy * g.ow);
        }
      }
    }
  });
}

}  // namespace

void run_conv2d_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("conv2d_f32", bufs, nbufs, params, nparams, 4, 19);
  constexpr long long kDim = 1LL << 31;
  ConvGeometry g{};
  g.n = static_cast<size_t>(a.integer(0, 0, kDim));
  g.c = static_cast<size_t>(a.integer(1, 1, kDim));
  g.h = static_cast<size_t>(a.integer(2, 1, kDim));
  g.w = static_cast<size_t>(a.integer(3, 1, kDim));
  g.m = static_cast<size_t>(a.integer(4, 0, kDim));
  g.kh = static_cast<size_t>(a.integer(5, 1, 1 << 16));
  g.kw = static_cast<size_t>(a.integer(6, 1, 1 << 16));
  g.sh = static_cast<size_t>(a.integer(7, 1, 1 << 16));
  g.sw = static_cast<size_t>(a.integer(8, 1, 1 << 16));
  g.dh = static_cast<size_t>(a.integer(9, 1, 1 << 16));
  g.dw = static_cast<size_t>(a.integer(10, 1, 1 << 16));
  g.pt = static_cast<size_t>(a.integer(11, 0, 1 << 16));
  g.pl = static_cast<size_t>(a.integer(12, 0, 1 << 16));
  g.oh = static_cast<size_t>(a.integer(13, 0, kDim));
  g.ow = static_cast<size_t>(a.integer(14, 0, kDim));
  g.group = static_cast<size_t>(a.integer(15, 1, kDim));
  const int act = static_cast<int>(a.integer(16, -1, static_cast<int>(UnaryOp::tanh)));
  const bool packed = a.integer(17, 0, 1) != 0;
  const bool has_bias = a.integer(18, 0, 1) != 0;
  if (g.c % g.group != 0 || g.m % g.group != 0) a.fail("channels are not divisible by group");
  const double in = static_cast<double>(g.n) * g.c * g.h * g.w;
  const double out = static_cast<double>(g.n) * g.m * g.oh * g.ow;
  const double planes = static_cast<double>(g.c) * g.sh * g.sw * (g.oh + g.kh * g.dh) * (g.ow + g.kw * g.dw);
  if (in > 0x1p48 || out > 0x1p48 || planes > 0x1p40 || static_cast<double>(g.m) * g.depth() > 0x1p40) {
    a.fail("tensor sizes are out of range");
  }
  const float* x = a.buffer<float>(0, g.n * g.c * g.h * g.w);
  const float* w;
  const GemmKernels& gk = kernels().gemm;
  if (packed) {
    const PackedInfo want{PackedKind::a, gk.mr, g.group, g.mg(), g.depth()};
    w = a.buffer<float>(1, packed_floats(want));
    if (!packed_matches(w, bufs[1].bytes / sizeof(float), want)) a.fail("weights are not packed for this ISA and shape");
  } else {
    w = a.buffer<float>(1, g.m * g.depth());
  }
  const float* bias = has_bias ? a.buffer<float>(2, g.m) : nullptr;
  float* y = a.buffer<float>(3, g.n * g.m * g.oh * g.ow);
  if (g.n == 0 || g.m == 0 || g.oh == 0 || g.ow == 0) return;
  if (!packed && g.cg() == 1 && g.group > 1) {
    conv_depthwise(g, x, w, bias, act, y);
  } else {
    ConvGemm{g, w, packed, bias, act, y}.run(x);
  }
}

}  // namespace os
