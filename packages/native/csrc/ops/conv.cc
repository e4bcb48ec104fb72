// conv2d_f32: 1-D/2-D convolution over NCHW float32 with groups, strides, dilations and begin
// pads (end pads follow from OH/OW), plus a per-channel bias and a fused activation.
//   buffers: x (float32[N*C*H*W]), w (the weight [M*C/group*kh*kw]: float32, float16 bits or uint8 by
//            its form, or packed A from gemm_pack: `group` matrices [M/group x C/group*kh*kw]), bias
//            (float32[M], or empty), y (float32[N*M*OH*OW])
//   params:  N, C, H, W, M, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, OH, OW,
//            group, activation (UnaryOp relu/sigmoid/silu/tanh, or -1), hasBias, then the weight's
//            form, scale, zero (ops/weight.h), and optionally `up` (1 or 2): the convolution reads
//            its input through a nearest 2x upsampling (ONNX Resize nearest, asymmetric, floor), H
//            and W being the upsampled size and x holding N*C*(H/2)*(W/2) values, so the upsampled
//            copy never exists (SD's VAE upsamplers: 256 MiB at 512x512); then optionally the
//            input's form, scale, zero and the output's form, scale, zero: form 1 is uint8 (static
//            uint8 activations: x holds uint8[N*C*H*W] read as (q - zero) * scale, y gets
//            uint8[N*M*OH*OW] = saturate(round_half_even(v / scale) + zero)), 2 float16 (fp16
//            arithmetic: converted like uint8, computed in float32; both float16 on a CPU with the
//            float16 GEMM: computed in float16, see ConvGemm::half_panels), 0 float32
//
// As GEMM per image and group: M/group output channels x output pixels x C/group*kh*kw. B is never
// materialised as an im2col matrix: the input is copied into zero-padded "phase planes" (one per
// stride phase), where every kernel tap's B row is a contiguous shifted view, so B is read from row
// pointers. Output rows are computed as wide as the planes' rows (see Planes): OW for "same"
// convolutions, whose padding the GEMM masks, else OW plus padding columns, dropped on store.
// Images go by bands of output rows (planes sized for L2), and each task multiplies one band's
// planes, which its thread builds, by a block of output channels; with fewer rows than threads
// (1-D) one set of planes is shared and the GEMM tiles are split. A pointwise convolution
// multiplies the input planes directly. Depthwise convolutions (one input channel per group) run a
// direct kernel over the same planes. A weight not packed beforehand (streamed, in its stored type)
// is packed per call, a block of output channels at a time, so its float32 panels never exist
// whole. A uint8 input is dequantised as its rows are copied into the planes, and a uint8 output
// quantised a band (Winograd: a tile row, depthwise: a row) at a time, with dequantize_8bit's and
// quantize_8bit's kernels (their bits), so neither side exists whole as float32.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../kernels/gemm/gemm-f16-driver.h"
#include "../threads/pool.h"
#include "weight.h"

namespace os {

namespace {

struct ConvGeometry {
  size_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, group;
  size_t up = 1;  // the input is read through a nearest upsampling by this factor (h, w: upsampled)
  // Floats of one input channel as stored.
  size_t plane() const { return (h / up) * (w / up); }
  size_t cg() const { return c / group; }
  size_t mg() const { return m / group; }
  size_t depth() const { return cg() * kh * kw; }
};

size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

// The input as the convolution reads it: float32, or converted row by row as it is read from
// uint8 (dequantised) or float16 (`half`).
struct ConvInput {
  const float* f = nullptr;
  const void* q = nullptr;
  bool half = false;
  float scale = 1.0f, zero = 0.0f;

  // Elements [at, at + n) as floats: the float32 input itself, or the values converted into the
  // calling thread's row buffer (valid until its next read).
  const float* read(size_t at, size_t n) const {
    if (f) return f + at;
    thread_local std::vector<float> row;
    if (row.size() < n) row.resize(n);
    if (half) {
      kernels().f16_to_f32(n, static_cast<const uint16_t*>(q) + at, row.data());
    } else {
      kernels().dequantize(QuantType::u8, n, static_cast<const uint8_t*>(q) + at, row.data(), scale, zero);
    }
    return row.data();
  }
};

// The output as the convolution writes it: float32 in place, or converted from float tiles to
// uint8 (quantised) or float16 (`half`).
struct ConvOutput {
  float* f = nullptr;
  void* q = nullptr;
  bool half = false;
  // float16: the fused activation, applied here to the products rounded to float16 (an unfused
  // Conv's result is float16 before its activation runs: the reference's FusedConv).
  int act = -1;
  float scale = 1.0f, zero = 0.0f;

  // Converts n computed values into elements [at, at + n) of the uint8 or float16 output.
  void store(size_t at, const float* v, size_t n) const {
    if (half) {
      uint16_t* out = static_cast<uint16_t*>(q) + at;
      const KernelTable& k = kernels();
      k.f32_to_f16(n, v, out);
      if (act < 0) return;
      thread_local std::vector<float> rounded;
      if (rounded.size() < n) rounded.resize(n);
      k.f16_to_f32(n, out, rounded.data());
      k.vunary(static_cast<UnaryOp>(act), n, rounded.data(), rounded.data(), 0.0f, 0.0f);
      k.f32_to_f16(n, rounded.data(), out);
    } else {
      kernels().quantize(QuantType::u8, n, v, static_cast<uint8_t*>(q) + at, scale, zero);
    }
  }
};

// Stride phase rx of an input row stored after `origin` padding columns holds input columns
// j*sw + rx - origin; those in [0, W) are its columns [first_column, end_column).
size_t first_column(const ConvGeometry& g, size_t origin, size_t rx) {
  return origin > rx ? ceil_div(origin - rx, g.sw) : 0;
}
size_t end_column(const ConvGeometry& g, size_t origin, size_t rx) {
  return std::max(first_column(g, origin, rx), g.w + origin > rx ? (g.w + origin - rx - 1) / g.sw + 1 : 0);
}

// Whether the GEMM can apply the horizontal padding itself (GemmB::pad_width): with stride 1
// across and OW = W ("same" padding), input rows stored as they are line up with output rows.
bool gemm_pads_columns(const ConvGeometry& g) { return g.sw == 1 && g.ow == g.w && g.kw <= kGemmRowClasses; }

// The phase planes of one input channel for a band of `rows` output rows: plane (ry, rx) holds
// padded input rows ry, ry + sh, ... and columns rx, rx + sw, ..., so tap (ky, kx) is plane
// ((ky*dh) % sh, (kx*dw) % sw) shifted by ((ky*dh) / sh) rows and ((kx*dw) / sw) columns.
//
// Columns come in two layouts. Padded: rows are `pitch` columns apart, the padding stored. OW + the
// largest tap shift always holds every read of a row. When rows hold all of their data in fewer
// columns, a read past a row's end lands in the next row's left padding, and is right when that
// padding covers the overrun: then one zero column serves as the right padding of a row and the
// left padding of the next (a 3x3 "same" convolution computes W + 1 columns per output row).
// Bare (gemm_pads_columns): rows hold the W input columns only, and tap (ky, kx) is the input
// shifted by kx*dw - pl columns, whose reads past a row's ends the GEMM masks to zero: no padding
// column is computed, and output tiles map to output rows one to one.
struct Planes {
  size_t hq, pitch, plane, per_channel;
  bool bare;
  size_t origin;                       // padding columns stored before input column 0
  ptrdiff_t shifts[kGemmRowClasses];   // bare: each kernel column's shift, kx*dw - pl

  Planes(const ConvGeometry& g, size_t rows, bool bare_columns) : bare(bare_columns), origin(bare ? 0 : g.pl) {
    if (bare) {
      pitch = g.w;
      for (size_t kx = 0; kx < g.kw; kx++) {
        shifts[kx] = static_cast<ptrdiff_t>(kx * g.dw) - static_cast<ptrdiff_t>(g.pl);
      }
    } else {
      const size_t span = (g.kw - 1) * g.dw / g.sw;
      size_t data = g.ow, left = SIZE_MAX;
      for (size_t rx = 0; rx < g.sw; rx++) {
        data = std::max(data, end_column(g, origin, rx));
        left = std::min(left, first_column(g, origin, rx));
      }
      pitch = std::min(g.ow + span, std::max(data, g.ow + span - std::min(left, span)));
    }
    hq = rows + (g.kh - 1) * g.dh / g.sh;
    plane = hq * pitch;
    per_channel = g.sh * g.sw * plane;
  }
  // Tap (ky, kx)'s offset from the channel's first plane.
  ptrdiff_t tap(const ConvGeometry& g, size_t ky, size_t kx) const {
    const size_t oy = ky * g.dh;
    const size_t ox = kx * g.dw;
    const size_t at = ((oy % g.sh) * g.sw + ox % g.sw) * plane + (oy / g.sh) * pitch + ox / g.sw;
    return static_cast<ptrdiff_t>(at + origin) - static_cast<ptrdiff_t>(g.pl);
  }
  // Bare taps read up to pl floats before the first plane.
  size_t front(const ConvGeometry& g) const { return bare ? g.pl : 0; }
  // The last rows are read past the planes' end by less than a row, the largest bare tap shift and
  // a GEMM panel (NR <= 64 columns), which the GEMM reads in place whole.
  size_t guard(const ConvGeometry& g) const {
    return pitch + (bare ? std::max<ptrdiff_t>(shifts[g.kw - 1], 0) : 0) + 64;
  }
  // Floats of the planes of `channels` channels with both guards.
  size_t floats(const ConvGeometry& g, size_t channels) const {
    return front(g) + channels * per_channel + guard(g);
  }
};

// pad_rows over the nearest-upsampled input (g.up > 1; xc: the offset of the channel's stored
// (H/up) x (W/up) plane): `rows` rows from upsampled row y0 (every sh-th), each with `lead` zeros,
// then n values from upsampled column x0 (every sw-th), then zeros up to `pitch`. Building planes is
// a small part of a convolution's work: a plain loop is enough.
template <typename T>
void upsampled_rows(const ConvGeometry& g, const ConvInput& x, size_t xc, size_t y0, size_t x0, size_t rows,
                    size_t lead, size_t n, size_t pitch, T* dst) {
  const size_t sw = g.w / g.up;
  for (size_t r = 0; r < rows; r++, dst += pitch) {
    const size_t at = xc + (y0 + r * g.sh) / g.up * sw;
    const T* src;
    if constexpr (std::is_same_v<T, uint16_t>) {
      src = static_cast<const uint16_t*>(x.q) + at;
    } else {
      src = x.read(at, sw);
    }
    std::memset(dst, 0, lead * sizeof(T));
    for (size_t j = 0; j < n; j++) dst[lead + j] = src[(x0 + j * g.sw) / g.up];
    std::memset(dst + lead + n, 0, (pitch - lead - n) * sizeof(T));
  }
}

// `rows` input rows from element `at` (every sh-th), each as `lead` zeros, then n values from every
// sw-th column, then zeros up to `pitch`, into float32 planes: with the table's pad_rows, a uint8 or
// float16 input a row at a time through the converted row buffer.
void input_rows(const ConvGeometry& g, const ConvInput& x, size_t at, size_t rows, size_t lead, size_t n,
                size_t pitch, float* dst) {
  // Whole rows of a stride-1 convolution, stored without padding columns (gemm_pads_columns): one
  // copy of the block (small planes, many channels: a pad_rows call per channel and row cost as much
  // as the GEMM of UltraFace's 4x5 heads).
  if (x.f && g.sh == 1 && g.sw == 1 && lead == 0 && n == g.w && pitch == n) {
    std::memcpy(dst, x.f + at, rows * n * sizeof(float));
    return;
  }
  const PadRowsFn pad_rows = kernels().pad_rows;
  if (x.f) return pad_rows(rows, x.f + at, g.sh * g.w, g.sw, lead, n, pitch, dst);
  const size_t span = (n - 1) * g.sw + 1;
  for (size_t r = 0; r < rows; r++) pad_rows(1, x.read(at + r * g.sh * g.w, span), 0, g.sw, lead, n, pitch, dst + r * pitch);
}

// The same into float16 planes (fp16 arithmetic) from the float16 input: a plain loop, as above.
void input_rows(const ConvGeometry& g, const ConvInput& x, size_t at, size_t rows, size_t lead, size_t n,
                size_t pitch, uint16_t* dst) {
  const uint16_t* src = static_cast<const uint16_t*>(x.q) + at;
  for (size_t r = 0; r < rows; r++, src += g.sh * g.w, dst += pitch) {
    std::memset(dst, 0, lead * sizeof(uint16_t));
    for (size_t j = 0; j < n; j++) dst[lead + j] = src[j * g.sw];
    std::memset(dst + lead + n, 0, (pitch - lead - n) * sizeof(uint16_t));
  }
}

// Writes the phase planes of one channel (xc: the offset of its H x W plane, or of the stored plane
// it upsamples) for the band starting at output row r0 to dst: float32 planes, or float16 ones from
// a float16 input.
template <typename T>
void build_planes(const ConvGeometry& g, const Planes& pl, const ConvInput& x, size_t xc, size_t r0, T* dst) {
  for (size_t ry = 0; ry < g.sh; ry++) {
    // Plane rows i in [top, bottom) hold input rows (r0 + i) * sh + ry - pt in [0, H); the others
    // are padding.
    const size_t first = r0 * g.sh + ry;
    const size_t top = std::min(pl.hq, g.pt > first ? ceil_div(g.pt - first, g.sh) : 0);
    const size_t end = g.h + g.pt > first ? ceil_div(g.h + g.pt - first, g.sh) : 0;
    const size_t bottom = std::max(top, std::min(pl.hq, end));
    for (size_t rx = 0; rx < g.sw; rx++) {
      T* out = dst + (ry * g.sw + rx) * pl.plane;
      const size_t jlo = std::min(pl.pitch, first_column(g, pl.origin, rx));
      const size_t jhi = std::min(pl.pitch, end_column(g, pl.origin, rx));
      if (jlo == jhi) {
        std::memset(out, 0, pl.plane * sizeof(T));
        continue;
      }
      std::memset(out, 0, top * pl.pitch * sizeof(T));
      if (bottom > top && g.up > 1) {
        upsampled_rows(g, x, xc, first + top * g.sh - g.pt, jlo * g.sw + rx - pl.origin, bottom - top, jlo,
                       jhi - jlo, pl.pitch, out + top * pl.pitch);
      } else if (bottom > top) {
        const size_t at = xc + (first + top * g.sh - g.pt) * g.w + jlo * g.sw + rx - pl.origin;
        input_rows(g, x, at, bottom - top, jlo, jhi - jlo, pl.pitch, out + top * pl.pitch);
      }
      std::memset(out + bottom * pl.pitch, 0, (pl.hq - bottom) * pl.pitch * sizeof(T));
    }
  }
}

// Row pointers of the implicit im2col matrix over planes at xp: row (c, ky, kx) of every channel.
template <typename T>
void tap_rows(const ConvGeometry& g, const Planes& pl, const T* xp, const T** rows) {
  for (size_t c = 0; c < g.c; c++) {
    for (size_t ky = 0; ky < g.kh; ky++) {
      for (size_t kx = 0; kx < g.kw; kx++) {
        rows[(c * g.kh + ky) * g.kw + kx] = xp + c * pl.per_channel + pl.tap(g, ky, kx);
      }
    }
  }
}

// The planes of every channel of the image at offset xb (C x H x W) for the band of `pl` starting at
// output row r0, between their guards, to buf (pl.floats(g, C) long), and their tap rows.
template <typename T>
void build_band(const ConvGeometry& g, const Planes& pl, const ConvInput& x, size_t xb, size_t r0, T* buf,
                const T** rows) {
  std::memset(buf, 0, pl.front(g) * sizeof(T));
  T* xp = buf + pl.front(g);
  for (size_t c = 0; c < g.c; c++) build_planes(g, pl, x, xb + c * g.plane(), r0, xp + c * pl.per_channel);
  std::memset(xp + g.c * pl.per_channel, 0, pl.guard(g) * sizeof(T));
  tap_rows(g, pl, xp, rows);
}

thread_local std::vector<float> t_planes;

// A thread's buffers for the planes of a band (float32, or float16: half_), their tap rows and
// (uint8 or float16 output) the band's products.
struct BandPlanes {
  std::vector<float> planes;
  std::vector<const float*> rows;
  std::vector<uint16_t> half_planes;
  std::vector<const uint16_t*> half_rows;
  std::vector<float> products;

  // Builds the planes of the band of `pl` at output row r0 of the image at xb, of the type the GEMM
  // reads, and their tap rows: in this thread's buffers, or at `into` (pl.floats(g, C) floats of a
  // workspace, which float16 planes fill half of).
  void build(const ConvGeometry& g, const Planes& pl, const ConvInput& x, size_t xb, size_t r0, bool half,
             float* into = nullptr) {
    if (half) return build_into(g, pl, x, xb, r0, into ? reinterpret_cast<uint16_t*>(into) : nullptr, half_planes, half_rows);
    build_into(g, pl, x, xb, r0, into, planes, rows);
  }

 private:
  template <typename T>
  static void build_into(const ConvGeometry& g, const Planes& pl, const ConvInput& x, size_t xb, size_t r0, T* into,
                         std::vector<T>& buf, std::vector<const T*>& tap) {
    if (!into) {
      buf.resize(pl.floats(g, g.c));
      into = buf.data();
    }
    tap.resize(g.c * g.kh * g.kw);
    build_band(g, pl, x, xb, r0, into, tap.data());
  }
};
thread_local BandPlanes t_band;

// Planes of one band are meant to stay in L2 while its GEMM runs.
constexpr size_t kBandBytes = 256 * 1024;
// Band tasks per thread (a band times a block of output channels).
constexpr size_t kTasksPerThread = 4;
// A band's output channels are split into blocks of at least this many A panels: each block packs
// the band's B panels again, and a thread that takes a block of another band builds its planes
// again. UltraFace's first convolution (16 outputs, 3 panels on AVX2) ran in blocks of 2 and 1
// panels on two threads, hardly faster than on one; in one block 0.30 -> 0.26 ms (YOLOv8n's
// layers unchanged).
constexpr size_t kMinBlockPanels = 4;

// Panels of a plain weight packed per call hold at most this many bytes (a block of output channels).
constexpr size_t kBlockBytes = 8 << 20;

// fp16 arithmetic: the float16 A panels of output channels [m0, m0 + mc) of every group, one
// group's after another (ceil(mc / MR) panels each), packed in parallel from the plain weight, or
// from its float32 panels (prepacked: a float16 panel lies inside one of them, MR dividing theirs).
void pack_half_panels(const GemmF16Kernels& gf, const ConvGeometry& g, const WeightArg& w, size_t m0, size_t mc,
                      std::vector<uint16_t>& dst) {
  const size_t mr = gf.mr, mr32 = kernels().gemm.mr, depth = g.depth(), panels = ceil_div(mc, mr);
  dst.resize(g.group * panels * mr * depth);
  parallel_for(g.group * panels, 1, [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      const size_t gi = t / panels, i0 = t % panels * mr, row = m0 + i0;
      const float* packed = w.packed ? w.panels() + (gi * ceil_div(g.mg(), mr32) + row / mr32) * mr32 * depth + row % mr32
                                     : nullptr;
      const MatrixRef src = packed ? MatrixRef{packed, ElemType::f32, 1, static_cast<ptrdiff_t>(mr32), 1.0f, 0.0f}
                                   : w.matrix((gi * g.mg() + row) * depth, static_cast<ptrdiff_t>(depth), 1);
      gf.pack_a(std::min(mr, mc - i0), depth, src, dst.data() + t * mr * depth);
    }
  });
}

struct ConvGemm {
  const ConvGeometry& g;
  const WeightArg& w;
  // The output channels computed, [m0, m0 + mc) of each group, and their A panels (one group's
  // after another), or null to pack them per tile from the plain weight.
  size_t m0, mc;
  const float* panels;
  const float* bias;
  int act;
  ConvOutput y;
  // fp16 arithmetic: the computed channels' float16 A panels (laid out as `panels`), multiplied by
  // float16 planes on the float16 GEMM into float32 products, which y (float16) rounds; null: float32.
  const uint16_t* half_panels = nullptr;

  // Rows of an A panel of the GEMM that runs.
  size_t mr() const { return half_panels ? kernels().gemm_f16.mr : kernels().gemm.mr; }

  // The per-group products over the implicit im2col rows of an output band [r0, r0 + rows), for
  // the output channels [lo, hi) of the computed ones (lo a multiple of MR). With planes `pl`, B's
  // rows are readable a panel past their ends (the planes' guard), so the GEMM may read them in
  // place (GemmB::rows_in_place). Without, the rows are the input's channel planes (pointwise).
  // Products go to the float32 output, or (uint8 output) to `products`: each group's hi - lo
  // channels of nrows * OW values, for store_products.
  void problems(std::vector<GemmProblem>& ps, const float* const* rows, const Planes* pl, size_t b, size_t r0,
                size_t nrows, size_t lo, size_t hi, float* products = nullptr) const {
    const GemmKernels& gk = kernels().gemm;
    const size_t mg = g.mg(), depth = g.depth(), ohw = g.oh * g.ow;
    const size_t panel_floats = ceil_div(mc, gk.mr) * gk.mr * depth;
    const size_t pitch = pl ? pl->pitch : g.ow;
    ps.resize(g.group);
    for (size_t gi = 0; gi < g.group; gi++) {
      GemmProblem& p = ps[gi];
      const size_t first = gi * mg + m0 + lo;
      p.m = hi - lo;
      p.n = nrows * pitch;
      p.k = depth;
      if (panels) {
        p.a.packed = panels + gi * panel_floats + lo * depth;
      } else {
        p.a.raw = w.matrix(first * depth, static_cast<ptrdiff_t>(depth), 1);
      }
      p.b.rows = rows ? rows + gi * depth : nullptr;
      p.b.rows_in_place = pl != nullptr;
      if (pl && pl->bare) {
        p.b.pad_width = g.w;
        p.b.pad_period = g.kw;
        p.b.pad_shifts = pl->shifts;
      }
      if (products) {
        p.c = products + gi * (hi - lo) * nrows * g.ow;
        p.ldc = nrows * g.ow;
      } else {
        p.c = y.f + (b * g.m + first) * ohw + r0 * g.ow;
        p.ldc = ohw;
      }
      if (pitch != g.ow) {
        p.pitch = pitch;
        p.width = g.ow;
      }
      p.row_bias = bias ? bias + first : nullptr;
      p.activation = act;
    }
  }

  // Runs the problems of output channels [lo, hi) over a band's planes: on the float32 GEMM (tap
  // rows `bp.rows`), or the float16 one (`bp.half_rows`).
  void multiply(std::vector<GemmProblem>& ps, const BandPlanes& bp, size_t lo, bool serial) const {
    if (!half_panels) return gemm_run(kernels().gemm, ps.data(), ps.size(), serial);
    const GemmF16Kernels& gf = kernels().gemm_f16;
    const size_t depth = g.depth(), panel = ceil_div(mc, gf.mr) * gf.mr * depth;
    for (size_t gi = 0; gi < ps.size(); gi++) {
      gemm_f16_rows_run(gf, ps[gi], half_panels + gi * panel + lo * depth, bp.half_rows.data() + gi * depth, serial);
    }
  }

  // Quantises (or rounds to float16) the products of problems(..., products) into the output.
  void store_products(const float* products, size_t b, size_t r0, size_t nrows, size_t lo, size_t hi) const {
    const size_t n = nrows * g.ow;
    for (size_t gi = 0; gi < g.group; gi++) {
      for (size_t i = lo; i < hi; i++) {
        y.store((b * g.m + gi * g.mg() + m0 + i) * g.oh * g.ow + r0 * g.ow, products + (gi * (hi - lo) + i - lo) * n, n);
      }
    }
  }

  void run(const ConvInput& x) const {
    const GemmKernels& gk = kernels().gemm;
    const size_t hw = g.plane();
    // Pointwise reads the input planes in place and writes whole output planes: float32 only.
    const bool pointwise = x.f && y.f && g.up == 1 && g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 &&
                           g.pl == 0 && g.oh == g.h && g.ow == g.w;
    std::vector<GemmProblem> ps;
    if (pointwise) {
      // The input planes are the B matrix: one pointer per channel.
      std::vector<const float*> rows(g.c);
      for (size_t b = 0; b < g.n; b++) {
        for (size_t c = 0; c < g.c; c++) rows[c] = x.f + (b * g.c + c) * hw;
        // Channel planes are far apart: packing B panels reads them as streams (measured faster).
        problems(ps, rows.data(), nullptr, b, 0, g.oh, 0, mc);
        gemm_run(gk, ps.data(), ps.size());
      }
      return;
    }
    const bool bare = gemm_pads_columns(g);
    const bool half = half_panels != nullptr;
    const Planes whole(g, g.oh, bare);
    const size_t row_bytes = g.c * g.sh * g.sw * whole.pitch * (half ? sizeof(uint16_t) : sizeof(float));
    const auto threads = static_cast<size_t>(pool_threads());
    if (g.oh >= threads) {
      // Bands small enough for L2, as many as a multiple of the threads, of equal height, each cut
      // into blocks of output channels, kTasksPerThread blocks per thread in all. A thread starts
      // on bands of its own, taking their blocks in turn, then helps with the others': a thread
      // that starts late or is preempted leaves its share to the others instead of holding up the
      // call (one band per thread ran at one thread's speed when the second woke late), and a
      // band's planes are mostly built once, by the thread that multiplies them (in its own
      // buffer, where they stay in the core's cache).
      const size_t fit = std::clamp<size_t>(kBandBytes / row_bytes, 1, g.oh);
      const size_t band = ceil_div(g.oh, std::min(g.oh, ceil_div(ceil_div(g.oh, fit), threads) * threads));
      const size_t image_bands = ceil_div(g.oh, band), bands = g.n * image_bands;
      const size_t panels_m = ceil_div(mc, mr());
      const size_t wanted = threads > 1 ? threads * kTasksPerThread : 1;
      const size_t most_blocks = std::max<size_t>(panels_m / kMinBlockPanels, 1);
      const size_t block = ceil_div(panels_m, std::clamp<size_t>(ceil_div(wanted, bands), 1, most_blocks)) * mr();
      const size_t blocks = ceil_div(mc, block);
      std::vector<std::atomic<size_t>> taken(bands);  // blocks of each band handed out
      std::atomic<size_t> arrived{0};
      parallel_for(threads, 1, [&](size_t begin, size_t end) {
        std::vector<GemmProblem> tps;
        BandPlanes& bp = t_band;
        size_t built = SIZE_MAX;
        for (size_t slot = begin; slot < end; slot++) {
          const size_t home = arrived.fetch_add(1, std::memory_order_relaxed) % threads * bands / threads;
          for (size_t i = 0; i < bands; i++) {
            const size_t band_index = (home + i) % bands;
            const size_t b = band_index / image_bands, r0 = band_index % image_bands * band;
            const size_t nrows = std::min(band, g.oh - r0);
            const Planes pl(g, nrows, bare);
            for (size_t k; (k = taken[band_index].fetch_add(1, std::memory_order_relaxed)) < blocks;) {
              if (built != band_index) {
                bp.build(g, pl, x, b * g.c * hw, r0, half);
                built = band_index;
              }
              const size_t lo = k * block, hi = std::min(mc, (k + 1) * block);
              if (y.q) bp.products.resize(g.group * (hi - lo) * nrows * g.ow);
              problems(tps, half ? nullptr : bp.rows.data(), &pl, b, r0, nrows, lo, hi,
                       y.q ? bp.products.data() : nullptr);
              multiply(tps, bp, lo, true);
              if (y.q) store_products(bp.products.data(), b, r0, nrows, lo, hi);
            }
          }
        }
      });
      return;
    }
    // Fewer output rows than threads (1-D convolutions): the planes of the whole image, shared,
    // and the GEMM tiles spread over threads (uint8 or float16 output: the image's products, a row
    // or so).
    Workspace planes(whole.floats(g, g.c));
    Workspace products(y.q ? g.group * mc * g.oh * g.ow : 0);
    BandPlanes bp;  // the tap rows
    for (size_t b = 0; b < g.n; b++) {
      bp.build(g, whole, x, b * g.c * hw, 0, half, planes.data());
      problems(ps, half ? nullptr : bp.rows.data(), &whole, b, 0, g.oh, 0, mc, y.q ? products.data() : nullptr);
      multiply(ps, bp, 0, false);
      if (y.q) store_products(products.data(), b, 0, g.oh, 0, mc);
    }
  }
};

// The ring a thread's dwconv3x3_block calls use.
thread_local std::vector<float> t_dw_ring;

// Output rows a task of conv_depthwise3x3_block takes at least: a band refills the ring's first rows.
constexpr size_t kDwBandRows = 4;

// Whether conv_depthwise3x3_block runs a 3x3 depthwise convolution (conv_depthwise's conditions
// met): the table has the kernel, one output channel per input channel, and rows no wider than the
// table's bound for the stride.
bool depthwise3x3_block_fits(const ConvGeometry& g, const KernelTable& kt) {
  const size_t max_width = g.sh == 2 ? kt.dwconv3x3_block_s2_max_width : kt.dwconv3x3_block_s1_max_width;
  return kt.dwconv3x3_block && g.mg() == 1 && g.ow <= max_width;
}

// 3x3 depthwise convolutions at stride 1 or 2 over float32, a vector's lanes of channels at a time
// (kernels/conv/dwconv3x3.h, DwConv3x3BlockFn); blocks are split into bands of rows when there are
// fewer of them than a few per thread.
void conv_depthwise3x3_block(const ConvGeometry& g, const float* x, const float* w, const float* bias, int act,
                             float* y) {
  const KernelTable& kt = kernels();
  const size_t hw = g.h * g.w, ohw = g.oh * g.ow;
  const size_t lanes = kt.dwconv3x3_block_channels, per_image = ceil_div(g.m, lanes), blocks = g.n * per_image;
  const size_t wanted = 4 * static_cast<size_t>(pool_threads());
  const size_t bands = std::clamp<size_t>(ceil_div(wanted, blocks), 1, std::max<size_t>(g.oh / kDwBandRows, 1));
  const size_t band_rows = ceil_div(g.oh, bands);
  const DwConv3x3BlockFn block = kt.dwconv3x3_block;
  parallel_for(blocks * bands, 1, [&](size_t begin, size_t end) {
    // 64-byte aligned: a pixel's vector of channels then never straddles a cache line.
    t_dw_ring.resize(dw3_ring_floats(g.ow, g.sh, lanes) + 15);
    float* ring = t_dw_ring.data() + (-reinterpret_cast<uintptr_t>(t_dw_ring.data()) / sizeof(float) & 15);
    for (size_t task = begin; task < end; task++) {
      const size_t b = task / bands / per_image, c0 = task / bands % per_image * lanes;
      const size_t oy0 = task % bands * band_rows, oy1 = std::min(g.oh, oy0 + band_rows);
      if (oy0 >= oy1) continue;
      block(std::min(lanes, g.m - c0), oy0, oy1, g.ow, g.h, g.w, g.sh, g.pt, g.pl, x + (b * g.c + c0) * hw, hw,
            w + c0 * 9, bias ? bias + c0 : nullptr, act, y + (b * g.m + c0) * ohw, ohw, ring);
    }
  });
}

// 3x3 depthwise convolutions at stride 1 or 2 over float32 (MobileNet-style blocks, UltraFace's):
// each output plane straight from the input plane (kernels/conv/dwconv3x3.h), no phase planes, on
// rows as wide as the ISA's table says it pays (KernelTable::dwconv3x3_min_width).
void conv_depthwise3x3(const ConvGeometry& g, const float* x, const float* w, const float* bias, int act, float* y) {
  const DwConv3x3Fn plane = kernels().dwconv3x3;
  const size_t mult = g.mg(), hw = g.h * g.w, ohw = g.oh * g.ow;
  parallel_for(g.n * g.m, 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      const size_t m = i % g.m;
      plane(g.oh, g.ow, g.h, g.w, g.sh, g.pt, g.pl, x + (i / g.m * g.c + m / mult) * hw, w + m * 9,
            bias ? bias[m] : 0.0f, act, y + i * ohw);
    }
  });
}

// Output rows a task of conv_3x3s2 takes: its input rows (2 per output row and channel) stay in
// L1 or L2 across the panels of output channels.
constexpr size_t kConv3x3S2BandRows = 4;

// Whether conv_3x3s2 runs the convolution: float32 in and out, one group, 3x3 at stride 2 with no
// dilation and as few input channels as the table runs so (a first layer). Deeper inputs amortise
// the GEMM's phase planes over more multiply-adds.
bool conv3x3s2_fits(const ConvGeometry& g, const ConvInput& x, const ConvOutput& y) {
  return x.f && y.f && g.group == 1 && g.up == 1 && g.c <= kernels().conv3x3s2_max_channels &&
         g.kh == 3 && g.kw == 3 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1;
}

// A dense 3x3 stride-2 convolution straight from the input planes (kernels/conv/conv3x3s2.h), bands
// of output rows in parallel; panels: the weight's packed A panels.
void conv_3x3s2(const ConvGeometry& g, const float* panels, const float* bias, int act, const float* x, float* y) {
  const Conv3x3S2Fn kernel = kernels().conv3x3s2;
  const size_t hw = g.h * g.w, ohw = g.oh * g.ow, bands = ceil_div(g.oh, kConv3x3S2BandRows);
  parallel_for(g.n * bands, 1, [&](size_t begin, size_t end) {
    for (size_t task = begin; task < end; task++) {
      const size_t b = task / bands, oy0 = task % bands * kConv3x3S2BandRows;
      kernel(g.m, g.c, oy0, std::min(g.oh, oy0 + kConv3x3S2BandRows), g.ow, g.h, g.w, g.pt, g.pl, x + b * g.c * hw, hw,
             panels, bias, act, y + b * g.m * ohw, ohw);
    }
  });
}

// Floats of output a depthwise kernel call computes at most: a band of rows that stays in L1.
constexpr size_t kDwBandFloats = 4096;

// One input channel per group: each output channel is a sum of kh*kw shifted planes. Output rows
// are computed as wide as the planes' rows, a band of rows per kernel call (flat: the columns past
// OW read padding and are dropped when the band is copied out), so that small planes run whole
// vectors and few calls instead of a call and a vector tail per row.
void conv_depthwise(const ConvGeometry& g, const ConvInput& x, const float* w, const float* bias, int act,
                    const ConvOutput& y) {
  if (g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 && g.sh == g.sw && g.sh <= 2 && g.up == 1 && x.f && y.f) {
    if (depthwise3x3_block_fits(g, kernels())) return conv_depthwise3x3_block(g, x.f, w, bias, act, y.f);
    if (g.ow >= kernels().dwconv3x3_min_width) return conv_depthwise3x3(g, x.f, w, bias, act, y.f);
  }
  const Planes pl(g, g.oh, false);
  const size_t taps = g.kh * g.kw;
  const size_t mult = g.mg();
  const size_t ohw = g.oh * g.ow;
  std::vector<ptrdiff_t> shifts(taps);
  for (size_t ky = 0; ky < g.kh; ky++) {
    for (size_t kx = 0; kx < g.kw; kx++) shifts[ky * g.kw + kx] = static_cast<ptrdiff_t>(pl.tap(g, ky, kx));
  }
  const size_t band = std::clamp<size_t>(kDwBandFloats / pl.pitch, 1, g.oh);
  const DwConvFn dw = kernels().dwconv;
  parallel_for(g.n * g.c, 1, [&](size_t begin, size_t end) {
    const size_t plane_floats = pl.floats(g, 1);
    t_planes.resize(plane_floats + band * pl.pitch);
    float* xp = t_planes.data();
    float* out = xp + plane_floats;
    // The last row's right padding is the (unstored) next row's left padding: the guard, which must
    // read as zero (the buffer may hold an earlier call's data).
    std::memset(xp + pl.per_channel, 0, pl.guard(g) * sizeof(float));
    for (size_t i = begin; i < end; i++) {
      const size_t b = i / g.c, c = i % g.c;
      build_planes(g, pl, x, i * g.plane(), 0, xp);
      for (size_t t = 0; t < mult; t++) {
        const size_t m = c * mult + t;
        const size_t ym = (b * g.m + m) * ohw;
        for (size_t r0 = 0; r0 < g.oh; r0 += band) {
          const size_t rows = std::min(band, g.oh - r0);
          // The band's last row ends at OW: nothing past it is computed (or read).
          const size_t n = (rows - 1) * pl.pitch + g.ow;
          const float bm = bias ? bias[m] : 0.0f;
          if (pl.pitch == g.ow && y.f) {
            dw(n, taps, xp + r0 * pl.pitch, shifts.data(), w + m * taps, bm, act, y.f + ym + r0 * g.ow);
            continue;
          }
          dw(n, taps, xp + r0 * pl.pitch, shifts.data(), w + m * taps, bm, act, out);
          for (size_t r = 0; r < rows; r++) {
            const size_t at = ym + (r0 + r) * g.ow;
            if (y.f) {
              std::memcpy(y.f + at, out + r * pl.pitch, g.ow * sizeof(float));
            } else {
              y.store(at, out + r * pl.pitch, g.ow);
            }
          }
        }
      }
    }
  });
}

// Floats of a padded input row in conv_winograd's planes (a row of tiles, a panel of room past it).
size_t wino_pitch(const ConvGeometry& g, size_t nr) {
  return ceil_div(ceil_div(g.ow, kWinoTile), nr) * nr + nr + 1;
}

// Winograd F(4x4, 3x3) (kernels/conv/winograd.h) for 3x3 stride-1 convolutions on ISAs whose table
// has the transforms (and whose rule the shape passes: winograd_fits). The weights are transformed
// once when prepared where the table keeps them so (core's conv.ts packs them in that form,
// PackedKind::winograd), else per call (36 x M x C floats, GEMM A panels per position).
// Tasks take blocks of 4x4 output tiles: a few tile rows, or a block of columns of one
// when a row is wide, sized so that their transformed inputs (36 x C per tile) stay in L2. A task
// builds its input rows split into 4 column phases, transforms them into the B panels of the
// 36 GEMMs (the tiles of its rows one after another, each row's rounded up to the vector width),
// multiplies them into 36 x M values per tile, and transforms those into output rows with bias and
// activation.
// The transformed weights are 36 x M x C floats, in the heap for the call: above the table's
// WinogradKernels::max_weight_bytes (SIMD128 16 MiB: SD's UNet convolutions would take 236 MiB at
// 1280 x 1280, and a wasm heap never gives memory back; AVX2 4 MiB, see table-avx2.cc) the direct
// GEMM runs instead. core's conv.ts prepares kept weights in Winograd form under the same conditions
// where the table keeps them transformed (gemm_layout).
bool winograd_fits(const ConvGeometry& g, const WinogradKernels& wk, size_t nr) {
  if (!wk.input || g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.group != 1 ||
      g.up != 1 || g.pt > 2 || g.pl > 2 || kWinoPositions * g.m * g.c * sizeof(float) > wk.max_weight_bytes) {
    return false;
  }
  if (wk.max_macs_ratio <= 0) return true;
  // The tiles a block transforms (conv_winograd): each row's rounded up to the vector, all of them
  // to whole panels.
  const size_t row_tiles = ceil_div(ceil_div(g.ow, kWinoTile), wk.step) * wk.step;
  const size_t tiles = ceil_div(ceil_div(g.oh, kWinoTile) * row_tiles, nr) * nr;
  const double ratio = static_cast<double>(kWinoPositions * tiles) / static_cast<double>(9 * g.oh * g.ow);
  const double depth = static_cast<double>(g.c) * static_cast<double>(g.m) / static_cast<double>(g.c + g.m);
  // A task's planes: C channels of 4 phases of the 6 input rows of one row of tiles (at least).
  const size_t plane_bytes = g.c * kWinoTile * (kWinoTile + 2) * wino_pitch(g, nr) * sizeof(float);
  return ratio <= wk.max_macs_ratio && depth >= wk.min_depth_gain * ratio &&
         (wk.max_plane_bytes == 0 || plane_bytes <= wk.max_plane_bytes);
}

// A task's buffers: its block's input planes, transformed inputs (v) and products (m), and (uint8
// or float16 output) a tile row's outputs.
struct WinogradBuffers {
  std::vector<float> planes, v, m, out;
};

// Task buffers shared by every thread, as many sets as tasks ever ran at once: a set per thread
// would grow one on each libuv thread that calls a convolution too (six sets of up to 1.5 MiB for
// YOLOv8n's, kept by the threads for good), where the pool runs two tasks at a time.
class WinogradBufferPool {
 public:
  std::unique_ptr<WinogradBuffers> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return std::make_unique<WinogradBuffers>();
    std::unique_ptr<WinogradBuffers> b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void give(std::unique_ptr<WinogradBuffers> b) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<WinogradBuffers>> free_;
};
WinogradBufferPool g_wino_buffers;

// A set of g_wino_buffers for the scope of a task.
struct WinogradTaskBuffers {
  std::unique_ptr<WinogradBuffers> b = g_wino_buffers.take();
  ~WinogradTaskBuffers() { g_wino_buffers.give(std::move(b)); }
};

// A weight packed per call for its transform (winograd_weights from a plain weight).
thread_local std::vector<float> t_wino_panel;
// winograd_weights transforms this many channels of a panel into t_wino_chunk, then copies each
// position's run of them into place: written one value at a time, the 36 positions' stores lay
// M x C floats apart, in the same L1 set where that is a multiple of 4 KiB (64 x 64 channels on
// AVX-512's 8-row panels: YOLOv8n's 64 -> 64 layer at 40x40 took 0.30 ms for its weights, 0.06 ms
// where the stride was not such a multiple).
constexpr size_t kWinoWeightChannels = 16;
thread_local std::vector<float> t_wino_chunk;

// The 36 positions' blocks lie this many floats apart: a multiple of 2 KiB would put the streams
// that the transforms read or write at once in the same cache sets (measured 3 times slower).
size_t padded_stride(size_t floats) { return floats % 512 == 0 ? floats + 16 : floats; }

// Transformed inputs of a task (36 x C floats per tile): blocks of more tiles read the transformed
// weights fewer times (YOLOv8n's Winograd convolutions on SIMD128, one thread: 128 KiB 1.2 times
// slower than 512 KiB, 1 MiB no faster).
constexpr size_t kWinoBlockBytes = 512 * 1024;

// U = G g G^T for every output and input channel of an M x C x 3 x 3 weight: position xi's A panels
// at u + xi * mp * c (mp: M rounded up to MR), from the weight's A panels of [M x C*9] (MR rows each)
// when `panels`, else from the plain matrix `raw`, packed a panel at a time.
void winograd_weights(size_t m, size_t c, const float* panels, const MatrixRef& raw, float* u) {
  const GemmKernels& gk = kernels().gemm;
  const size_t mr = gk.mr, mp = ceil_div(m, mr) * mr, depth = c * 9;
  // G's rows applied to a line of 3 weights, in double (the constants are not binary fractions), by
  // multiplications: a division per constant made the transform per call (AVX2) take as long as a
  // 20x20 layer's convolution. The float results are the same but for double-rounding ties.
  constexpr double sixth = 1.0 / 6, twelfth = 1.0 / 12, twenty_fourth = 1.0 / 24;
  const auto line = [](const double (&g)[3], double (&out)[6]) {
    out[0] = g[0] * 0.25;
    out[1] = -(g[0] + g[1] + g[2]) * sixth;
    out[2] = -(g[0] - g[1] + g[2]) * sixth;
    out[3] = g[0] * twenty_fourth + g[1] * twelfth + g[2] * sixth;
    out[4] = g[0] * twenty_fourth - g[1] * twelfth + g[2] * sixth;
    out[5] = g[2];
  };
  parallel_for(mp / mr, 1, [&](size_t begin, size_t end) {
    std::vector<float>& panel = t_wino_panel;
    std::vector<float>& chunk = t_wino_chunk;
    if (!panels) panel.resize(mr * depth);
    chunk.resize(kWinoPositions * kWinoWeightChannels * mr);
    for (size_t p = begin; p < end; p++) {
      const float* src = panels ? panels + p * mr * depth : panel.data();
      if (!panels) gk.pack_a(std::min(mr, m - p * mr), depth, offset(raw, static_cast<ptrdiff_t>(p * mr), 0), panel.data());
      for (size_t c0 = 0; c0 < c; c0 += kWinoWeightChannels) {
        const size_t cn = std::min(kWinoWeightChannels, c - c0);
        for (size_t ch = c0; ch < c0 + cn; ch++) {
          for (size_t i = 0; i < mr; i++) {
            // gg = G g (6x3), then each of its rows times G^T.
            double gg[6][3];
            for (size_t k = 0; k < 3; k++) {
              const double col[3] = {src[(ch * 9 + k) * mr + i], src[(ch * 9 + 3 + k) * mr + i],
                                     src[(ch * 9 + 6 + k) * mr + i]};
              double out[6];
              line(col, out);
              for (size_t r = 0; r < 6; r++) gg[r][k] = out[r];
            }
            float* dst = chunk.data() + (ch - c0) * mr + i;
            for (size_t r = 0; r < 6; r++) {
              double out[6];
              line(gg[r], out);
              for (size_t j = 0; j < 6; j++) dst[(6 * r + j) * cn * mr] = static_cast<float>(out[j]);
            }
          }
        }
        for (size_t xi = 0; xi < kWinoPositions; xi++) {
          std::memcpy(u + xi * mp * c + p * mr * c + c0 * mr, chunk.data() + xi * cn * mr, cn * mr * sizeof(float));
        }
      }
    }
  });
}

// Floor of a / b for b > 0.
ptrdiff_t floor_div(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// u: the transformed weights (winograd_weights).
void conv_winograd(const ConvGeometry& g, const float* u, const float* bias, int act, const ConvInput& x,
                   const ConvOutput& y) {
  constexpr size_t T = kWinoTile, P = kWinoPositions;
  const KernelTable& kt = kernels();
  const GemmKernels& gk = kt.gemm;
  const WinogradKernels& wk = kt.winograd;
  const size_t mr = gk.mr, nr = gk.nr, step = wk.step;
  const size_t c = g.c, m = g.m;
  const size_t mp = ceil_div(m, mr) * mr;
  const size_t tx = ceil_div(g.ow, T), ty = ceil_div(g.oh, T);
  const size_t threads = static_cast<size_t>(pool_threads());
  // A task: `rows` tile rows of `cols` tiles each (cols < tx: one row, a block of columns).
  const size_t per_tile = P * c * sizeof(float);
  const size_t fit = std::max<size_t>(1, kWinoBlockBytes / per_tile);
  const size_t txq = ceil_div(tx, step) * step;
  size_t rows = 1, cols = tx;
  if (txq <= fit) {
    // The rows that fit whose blocks give the busiest thread the fewest tiles, counting each block's
    // tiles rounded up to whole panels (more rows at a tie: the weights are read once per block).
    // YOLOv8n's 64 -> 64 at 40x40 (10 rows of 10 tiles, 16 a row once rounded to AVX2's vector):
    // blocks of 3 rows take 64 tiles in 32-tile panels (AVX-512) where 48 are real, of 2 rows 32.
    size_t least = SIZE_MAX;
    for (size_t r = std::min(fit / txq, ty); r >= 1; r--) {
      const size_t busiest = ceil_div(ceil_div(ty, r), threads) * (ceil_div(r * txq, nr) * nr);
      if (busiest < least) {
        least = busiest;
        rows = r;
      }
    }
  } else {
    cols = ceil_div(ceil_div(tx, ceil_div(tx, fit)), nr) * nr;
  }
  const size_t colq = ceil_div(cols, step) * step;      // tiles of a row in the block, rounded up
  const size_t tp = ceil_div(rows * colq, nr) * nr;      // tiles of a block, whole panels
  const size_t col_blocks = ceil_div(tx, cols), row_blocks = ceil_div(ty, rows);
  // Input rows split into T column phases: padded column q is input column q - pl, entry q / T of
  // phase q % T; tile t reads padded columns T t .. T t + 5, entries t and t + 1.
  const size_t pitch = wino_pitch(g, nr);
  size_t lead[T], count[T];
  ptrdiff_t first[T];
  for (size_t phase = 0; phase < T; phase++) {
    // Entries i with T i + phase - pl in [0, W).
    const ptrdiff_t pl = static_cast<ptrdiff_t>(g.pl), w = static_cast<ptrdiff_t>(g.w);
    const ptrdiff_t ph = static_cast<ptrdiff_t>(phase), t = static_cast<ptrdiff_t>(T);
    const ptrdiff_t lo = std::max<ptrdiff_t>(0, floor_div(pl - ph + t - 1, t));
    const ptrdiff_t hi = std::min<ptrdiff_t>(static_cast<ptrdiff_t>(pitch), floor_div(w - 1 + pl - ph, t) + 1);
    lead[phase] = static_cast<size_t>(std::min<ptrdiff_t>(lo, static_cast<ptrdiff_t>(pitch)));
    count[phase] = hi > lo ? static_cast<size_t>(hi - lo) : 0;
    first[phase] = t * lo + ph - pl;
  }
  const PadRowsFn pad_rows = kt.pad_rows;
  const size_t ohw = g.oh * g.ow, hw = g.h * g.w;
  const size_t in_rows = T * rows + 2;  // input rows of a block
  for (size_t b = 0; b < g.n; b++) {
    const size_t xb = b * c * hw, yb = b * m * ohw;
    parallel_for(row_blocks * col_blocks, 1, [&](size_t begin, size_t end) {
      const WinogradTaskBuffers task_buffers;
      WinogradBuffers& wb = *task_buffers.b;
      wb.planes.resize(c * T * in_rows * pitch);
      wb.v.resize(P * padded_stride(c * tp));
      wb.m.resize(P * padded_stride(mp * tp));
      if (y.q) wb.out.resize(T * T * cols);
      float* planes = wb.planes.data();
      float* v = wb.v.data();
      float* mb = wb.m.data();
      size_t built = SIZE_MAX;
      for (size_t task = begin; task < end; task++) {
        const size_t row0 = task / col_blocks * rows, t0 = task % col_blocks * cols;
        const size_t nrows = std::min(rows, ty - row0), tiles = std::min(cols, tx - t0);
        if (built != row0) {
          // Plane row k of a channel and phase: input row T * row0 + k - pt, inside the input for k in
          // [k_lo, k_hi). A float32 input goes a phase at a time, all its rows in one pad_rows call
          // (a call per row and phase made YOLOv8n's Winograd layers 1-10 % slower on SIMD128, where
          // building the planes is about a fifth of their time); a uint8 row is read (dequantised)
          // once for its T phases.
          const size_t krows = T * nrows + 2;
          const ptrdiff_t top = static_cast<ptrdiff_t>(g.pt) - static_cast<ptrdiff_t>(T * row0);
          const auto k_lo = static_cast<size_t>(std::clamp<ptrdiff_t>(top, 0, static_cast<ptrdiff_t>(krows)));
          const auto k_hi = static_cast<size_t>(std::clamp<ptrdiff_t>(top + static_cast<ptrdiff_t>(g.h),
                                                                      static_cast<ptrdiff_t>(k_lo),
                                                                      static_cast<ptrdiff_t>(krows)));
          // Input row k (k_lo <= k < k_hi) of channel ch starts at xb + ch * hw + at(k).
          const auto at = [&](size_t k) { return static_cast<size_t>(static_cast<ptrdiff_t>(k) - top) * g.w; };
          for (size_t ch = 0; ch < c; ch++) {
            for (size_t phase = 0; phase < T; phase++) {
              float* dst = planes + (ch * T + phase) * in_rows * pitch;
              const size_t lo = count[phase] ? k_lo : krows, hi = count[phase] ? k_hi : krows;
              std::memset(dst, 0, lo * pitch * sizeof(float));
              std::memset(dst + hi * pitch, 0, (krows - hi) * pitch * sizeof(float));
              if (x.f && hi > lo) {
                pad_rows(hi - lo, x.f + xb + ch * hw + at(lo) + first[phase], g.w, T, lead[phase], count[phase], pitch,
                         dst + lo * pitch);
              }
            }
            for (size_t k = k_lo; !x.f && k < k_hi; k++) {
              const float* row = x.read(xb + ch * hw + at(k), g.w);
              for (size_t phase = 0; phase < T; phase++) {
                if (count[phase] == 0) continue;
                pad_rows(1, row + first[phase], g.w, T, lead[phase], count[phase], pitch,
                         planes + ((ch * T + phase) * in_rows + k) * pitch);
              }
            }
          }
          built = row0;
        }
        const size_t used = ceil_div(nrows * colq, nr) * nr;
        const size_t tq = ceil_div(tiles, step) * step;  // tiles transformed per row
        const size_t vs = padded_stride(c * used), ms = padded_stride(mp * used);
        // B panel q of position xi: v + xi * vs + q * c (c rows of nr tiles), filled in pieces of
        // one tile row each, in order; tiles past the block's are zero.
        for (size_t q = 0; q < used; q += nr) {
          for (size_t f = q; f < q + nr;) {
            const size_t r = f / colq, t = f % colq;
            float* dst = v + q * c + (f - q);
            if (r >= nrows || t >= tq) {
              const size_t n = r >= nrows ? q + nr - f : std::min(q + nr - f, colq - t);
              for (size_t xi = 0; xi < P; xi++) {
                for (size_t ch = 0; ch < c; ch++) std::memset(dst + xi * vs + ch * nr, 0, n * sizeof(float));
              }
              f += n;
              continue;
            }
            const size_t n = std::min(q + nr - f, tq - t);
            wk.input(n, c, planes + T * r * pitch + t0 + t, in_rows * pitch, pitch, T * in_rows * pitch, dst, nr, vs);
            f += n;
          }
        }
        for (size_t xi = 0; xi < P; xi++) {
          for (size_t i0 = 0; i0 < m; i0 += mr) {
            const float* a = u + xi * mp * c + i0 * c;
            for (size_t q = 0; q < used; q += nr) {
              gk.ukernel(std::min(mr, m - i0), nr, c, a, v + xi * vs + q * c, mb + xi * ms + i0 * used + q, used, false,
                         nullptr);
            }
          }
        }
        for (size_t oc = 0; oc < m; oc++) {
          for (size_t r = 0; r < nrows; r++) {
            const size_t oy = T * (row0 + r);
            const size_t at = yb + oc * ohw + oy * g.ow + T * t0;
            const size_t out_rows = std::min(T, g.oh - oy), limit = g.ow - T * t0;
            // uint8 output: the tile row's output rows go through wb.out, T * cols floats each.
            const size_t out_stride = y.f ? g.ow : T * cols;
            float* out = y.f ? y.f + at : wb.out.data();
            wk.output(tiles, mb + oc * used + r * colq, ms, bias ? bias[oc] : 0.0f, act, out, out_stride, out_rows,
                      limit);
            if (y.q) {
              const size_t width = std::min(T * tiles, limit);
              for (size_t k = 0; k < out_rows; k++) y.store(at + k * g.ow, out + k * out_stride, width);
            }
          }
        }
      }
    });
  }
}

}  // namespace

void pack_winograd(const MatrixRef& src, size_t m, size_t c, float* dst) {
  const PackedInfo info{PackedKind::winograd, kernels().gemm.mr, 1, m, c};
  pack_header(info, dst);
  winograd_weights(m, c, nullptr, src, dst + kPackedHeader);
}

// A side's form (params at, at + 1, at + 2 when given: form, scale, zero point).
enum class SideForm : int { f32 = 0, u8 = 1, f16 = 2 };
static SideForm side_form(const Args& a, size_t at, float& scale, float& zero) {
  const auto form = a.nparams <= at ? SideForm::f32 : static_cast<SideForm>(a.integer(at, 0, 2));
  if (form != SideForm::u8) return form;
  zero = static_cast<float>(a.integer(at + 2, 0, 255));
  scale = static_cast<float>(a.number(at + 1));
  if (!(scale > 0.0f) || !std::isfinite(scale)) a.fail("parameter " + std::to_string(at + 1) + " is not a positive scale");
  return form;
}

void run_conv2d_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("conv2d_f32", bufs, nbufs, params, nparams, 4, 21);
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
  const int fused = static_cast<int>(a.integer(16, -1, static_cast<int>(UnaryOp::tanh)));
  const bool has_bias = a.integer(17, 0, 1) != 0;
  g.up = nparams > 21 ? static_cast<size_t>(a.integer(21, 1, 2)) : 1;
  if (g.c % g.group != 0 || g.m % g.group != 0) a.fail("channels are not divisible by group");
  if (g.h % g.up != 0 || g.w % g.up != 0) a.fail("an upsampled size is not a multiple of the factor");
  const double in = static_cast<double>(g.n) * g.c * g.h * g.w;
  const double out = static_cast<double>(g.n) * g.m * g.oh * g.ow;
  const double planes = static_cast<double>(g.c) * g.sh * g.sw * (g.oh + g.kh * g.dh) * (g.ow + g.kw * g.dw);
  if (in > 0x1p48 || out > 0x1p48 || planes > 0x1p40 || static_cast<double>(g.m) * g.depth() > 0x1p40) {
    a.fail("tensor sizes are out of range");
  }
  ConvInput x;
  const SideForm x_form = side_form(a, 22, x.scale, x.zero);
  x.half = x_form == SideForm::f16;
  if (x_form == SideForm::u8) {
    x.q = a.buffer<uint8_t>(0, g.n * g.c * g.plane());
  } else if (x.half) {
    x.q = a.buffer<uint16_t>(0, g.n * g.c * g.plane());
  } else {
    x.f = a.buffer<float>(0, g.n * g.c * g.plane());
  }
  const GemmKernels& gk = kernels().gemm;
  const bool winograd = winograd_fits(g, kernels().winograd, gk.nr);
  // A weight prepared in Winograd form: the transform is done.
  const PackedInfo winograd_form{PackedKind::winograd, gk.mr, 1, g.m, g.c};
  const bool transformed = winograd && a.integer(18, -1, static_cast<long long>(ElemType::u8)) < 0 &&
                           packed_matches(static_cast<const float*>(a.bufs[1].data), a.bufs[1].bytes / sizeof(float),
                                          winograd_form);
  const WeightArg w = weight_arg(a, 1, 18,
                                 transformed ? winograd_form
                                             : PackedInfo{PackedKind::a, gk.mr, g.group, g.mg(), g.depth()});
  if (!w.packed && w.elements < g.m * g.depth()) a.fail("weights hold fewer than " + std::to_string(g.m * g.depth()) + " values");
  const bool depthwise = !w.packed && g.cg() == 1 && g.group > 1;
  if (depthwise && w.type != ElemType::f32) a.fail("depthwise weights must be float32");
  const float* bias = has_bias ? a.buffer<float>(2, g.m) : nullptr;
  ConvOutput y;
  const SideForm y_form = side_form(a, 25, y.scale, y.zero);
  y.half = y_form == SideForm::f16;
  if (y_form == SideForm::u8) {
    y.q = a.buffer<uint8_t>(3, g.n * g.m * g.oh * g.ow);
  } else if (y.half) {
    y.q = a.buffer<uint16_t>(3, g.n * g.m * g.oh * g.ow);
  } else {
    y.f = a.buffer<float>(3, g.n * g.m * g.oh * g.ow);
  }
  y.act = y.half ? fused : -1;
  const int act = y.half ? -1 : fused;
  if (g.n == 0 || g.m == 0 || g.oh == 0 || g.ow == 0) return;
  if (depthwise) return conv_depthwise(g, x, static_cast<const float*>(w.data), bias, act, y);
  if (transformed) return conv_winograd(g, w.panels(), bias, act, x, y);
  if (winograd) {
    Workspace u(packed_floats(winograd_form));
    winograd_weights(g.m, g.c, w.packed ? w.panels() : nullptr, w.matrix(0, static_cast<ptrdiff_t>(g.depth()), 1),
                     u.data());
    return conv_winograd(g, u.data(), bias, act, x, y);
  }
  if (conv3x3s2_fits(g, x, y)) {
    if (w.packed) return conv_3x3s2(g, w.panels(), bias, act, x.f, y.f);
    const PackedInfo info{PackedKind::a, gk.mr, 1, g.m, g.depth()};
    Workspace panels(packed_floats(info));
    pack_all(gk, info, w.matrix(0, static_cast<ptrdiff_t>(g.depth()), 1), 0, panels.data());
    return conv_3x3s2(g, panels.data() + kPackedHeader, bias, act, x.f, y.f);
  }
  const GemmF16Kernels& gf = kernels().gemm_f16;
  if (gf.ukernel_rows && x.half && y.half && (!w.packed || gk.mr % gf.mr == 0)) {
    // fp16 arithmetic on a CPU with FP16 arithmetic: blocks of output channels (of every group),
    // their float16 panels packed once per call for all bands and threads.
    const size_t rows_fit = kBlockBytes / sizeof(uint16_t) / std::max<size_t>(g.group * g.depth(), 1) / gf.mr * gf.mr;
    const size_t block = std::min(g.mg(), std::max(rows_fit, gf.mr));
    std::vector<uint16_t> panels;
    for (size_t m0 = 0; m0 < g.mg(); m0 += block) {
      const size_t mc = std::min(block, g.mg() - m0);
      pack_half_panels(gf, g, w, m0, mc, panels);
      ConvGemm{g, w, m0, mc, nullptr, bias, act, y, panels.data()}.run(x);
    }
    return;
  }
  if (w.packed) return ConvGemm{g, w, 0, g.mg(), w.panels(), bias, act, y}.run(x);
  if (g.group > 1) return ConvGemm{g, w, 0, g.mg(), nullptr, bias, act, y}.run(x);
  // One group: blocks of output channels, each packed once (in parallel) for all bands and threads.
  const size_t rows_fit = kBlockBytes / sizeof(float) / std::max<size_t>(g.depth(), 1) / gk.mr * gk.mr;
  const size_t block = std::min(g.m, std::max(rows_fit, gk.mr));
  Workspace panels(packed_floats(PackedInfo{PackedKind::a, gk.mr, 1, block, g.depth()}));
  for (size_t m0 = 0; m0 < g.m; m0 += block) {
    const size_t mc = std::min(block, g.m - m0);
    pack_all(gk, PackedInfo{PackedKind::a, gk.mr, 1, mc, g.depth()},
             w.matrix(m0 * g.depth(), static_cast<ptrdiff_t>(g.depth()), 1), 0, panels.data());
    ConvGemm{g, w, m0, mc, panels.data() + kPackedHeader, bias, act, y}.run(x);
  }
}

}  // namespace os
