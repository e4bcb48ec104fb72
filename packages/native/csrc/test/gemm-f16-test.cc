// Test adapter for gemm_f16 (kernels/gemm/gemm-f16.h): whole products computed tile by tile with the
// table's float16 packing and micro-kernel, K in blocks of kGemmF16Kc (later blocks accumulate),
// against products in double precision. The scalar table has no float16 arithmetic, so each ISA is
// checked against the definition; a table without the kernels must come from a CPU without them.
// Then the micro-kernel over float16 rows read in place (ukernel_rows: a convolution's tap rows, with
// the padding masks), the threaded driver over whole problems with float16 results, and the
// convolutions' driver over rows (masked, and with padded output rows dropped).
//
// Two kinds of inputs: small integers, whose products and partial sums (below 2048) float16 holds
// exactly, so any summation order must give the exact result (tolerance 0: a wrong lane, row or
// tail shows); and multiples of 2^-10 in [-1, 1] (exact in float16) over deep K, within the bound
// of recursive summation with one rounding per fused multiply-add: |error| <= gamma_kc * sum|a b|,
// gamma_kc = kc u / (1 - kc u), u = 2^-11 (float16's unit roundoff), kc <= kGemmF16Kc the terms
// one block sums in float16 (blocks add up in float32: their rounding is far below that bound).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../dispatch/isa.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../kernels/gemm/gemm-f16-driver.h"
#include "../kernels/gemm/gemm-f16.h"
#include "harness.h"

namespace os::test {
namespace {

struct Case {
  size_t m, n, k;
  ElemType a_type;  // A's source type (the packing converts)
  bool b_half;      // B from float16 bits (else float32)
  bool b_transposed;
  bool accumulate;  // C starts from its previous contents
  bool integers;
};

size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

// C = (accumulate ? C : 0) + A . B with the table's kernels, as a driver would run them.
void product(const GemmF16Kernels& g, const Case& c, const MatrixRef& a, const MatrixRef& b, float* out) {
  std::vector<uint16_t> pa(g.mr * kGemmF16Kc), pb(g.nr * kGemmF16Kc);
  const auto at = [](const MatrixRef& m, size_t r, size_t col) {
    MatrixRef o = m;
    o.data = static_cast<const char*>(m.data) +
             (static_cast<ptrdiff_t>(r) * m.rs + static_cast<ptrdiff_t>(col) * m.cs) * static_cast<ptrdiff_t>(elem_bytes(m.type));
    return o;
  };
  for (size_t i0 = 0; i0 < c.m; i0 += g.mr) {
    for (size_t j0 = 0; j0 < c.n; j0 += g.nr) {
      const size_t mr = std::min(g.mr, c.m - i0), nr = std::min(g.nr, c.n - j0);
      for (size_t k0 = 0; k0 < c.k; k0 += kGemmF16Kc) {
        const size_t kc = std::min(kGemmF16Kc, c.k - k0);
        g.pack_a(mr, kc, at(a, i0, k0), pa.data());
        g.pack_b(kc, nr, at(b, k0, j0), pb.data());
        g.ukernel(mr, nr, kc, pa.data(), pb.data(), out + i0 * c.n + j0, c.n, c.accumulate || k0 > 0);
      }
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> list;
  size_t i = 0;
  for (size_t m : {1, 3, 7, 8, 9, 13, 17}) {
    for (size_t n : {1, 5, 15, 16, 17, 33}) {
      const bool integers = i % 2 == 0;
      const size_t k = integers ? (i * 7) % 64 + 1 : (i * 37) % 600 + 1;  // integers: partial sums < 2048
      list.push_back({m, n, k, static_cast<ElemType>(i % 3), i % 4 < 2, i % 5 == 3, i % 3 == 1, integers});
      i++;
    }
  }
  list.push_back({16, 32, 256, ElemType::f16, true, false, false, false});  // exactly one block
  list.push_back({24, 48, 700, ElemType::f32, false, false, true, false});  // three blocks
  return list;
}

void run(Check& check, const KernelTable& isa, const KernelTable&) {
  const GemmF16Kernels& g = isa.gemm_f16;
  if (!g.ukernel) {
    check.begin("absent", "FP16 arithmetic: %d", cpu_has_fp16_arithmetic());
    check.expect(!cpu_has_fp16_arithmetic(), "the table lacks the float16 GEMM on a CPU with FP16 arithmetic");
    return;
  }
  Rng rng(check.seed());
  for (const Case& c : cases()) {
    std::vector<float> a(c.m * c.k), b(c.k * c.n), c0(c.m * c.n);
    for (float& v : a) v = half_exact_value(rng, c.integers);
    for (float& v : b) v = half_exact_value(rng, c.integers);
    for (float& v : c0) v = half_exact_value(rng, true);
    // Sources as the case stores them; u8 (integer A only) as q = (v + 4) * 16, read back as
    // (q - 64) / 16.
    std::vector<uint16_t> a16(a.size()), b16(b.size());
    std::vector<uint8_t> a8(a.size());
    for (size_t i = 0; i < a.size(); i++) a16[i] = half_bits(a[i]);
    std::vector<float> bt(b.size());
    for (size_t kk = 0; kk < c.k; kk++) {
      for (size_t j = 0; j < c.n; j++) bt[j * c.k + kk] = b[kk * c.n + j];
    }
    const std::vector<float>& bs = c.b_transposed ? bt : b;
    for (size_t i = 0; i < b.size(); i++) b16[i] = half_bits(bs[i]);
    MatrixRef ma{a.data(), ElemType::f32, static_cast<ptrdiff_t>(c.k), 1, 1.0f, 0.0f};
    ElemType a_type = c.a_type;
    if (a_type == ElemType::u8 && !c.integers) a_type = ElemType::f16;
    if (a_type == ElemType::f16) ma = {a16.data(), ElemType::f16, static_cast<ptrdiff_t>(c.k), 1, 1.0f, 0.0f};
    if (a_type == ElemType::u8) {
      for (size_t i = 0; i < a.size(); i++) a8[i] = static_cast<uint8_t>((a[i] + 4.0f) * 16.0f);
      ma = {a8.data(), ElemType::u8, static_cast<ptrdiff_t>(c.k), 1, 1.0f / 16.0f, 64.0f};
    }
    const auto rs = static_cast<ptrdiff_t>(c.b_transposed ? 1 : c.n);
    const auto cs = static_cast<ptrdiff_t>(c.b_transposed ? c.k : 1);
    const MatrixRef mb = c.b_half ? MatrixRef{b16.data(), ElemType::f16, rs, cs, 1.0f, 0.0f}
                                  : MatrixRef{bs.data(), ElemType::f32, rs, cs, 1.0f, 0.0f};
    std::vector<float> want(c.m * c.n);
    double worst_magnitude = 0.0;
    for (size_t i = 0; i < c.m; i++) {
      for (size_t j = 0; j < c.n; j++) {
        double s = c.accumulate ? c0[i * c.n + j] : 0.0, magnitude = 0.0;
        for (size_t kk = 0; kk < c.k; kk++) {
          const double p = static_cast<double>(a[i * c.k + kk]) * b[kk * c.n + j];
          s += p;
          magnitude += std::fabs(p);
        }
        want[i * c.n + j] = static_cast<float>(s);
        worst_magnitude = std::max(worst_magnitude, magnitude);
      }
    }
    const double u = std::ldexp(1.0, -11), kc = static_cast<double>(std::min(c.k, kGemmF16Kc));
    const double bound = c.integers ? 0.0 : kc * u / (1 - kc * u) * worst_magnitude;
    Guarded got(c.m * c.n);
    if (c.accumulate) std::memcpy(got.data(), c0.data(), c0.size() * sizeof(float));
    check.begin(c.integers ? "exact" : "bounded", "m=%zu n=%zu k=%zu a=%d b=%s%s acc=%d", c.m, c.n, c.k,
                static_cast<int>(a_type), c.b_half ? "f16" : "f32", c.b_transposed ? "^T" : "", c.accumulate);
    product(g, c, ma, mb, got.data());
    check.compare(got.data(), want.data(), want.size(), Tolerance{0, static_cast<float>(bound)});
    check.expect(got.guard_ok(), "wrote outside C");
  }
}

// gemm_f16_run (the threaded driver matmul_f32 and gemm_f32 call): two problems at once, A
// transposed and scaled (Gemm's alpha), B from float16 bits or prepacked in the table's float32
// panels (a caching provider's weight: float16 panels straddle them), a column bias on the second,
// float16 results. Integers over K = 64 with alpha 1/4 (multiples of 1/4 below 512: exact in float16, so
// tolerance 0), then a deep K within the bound above plus the result's rounding (2^-11 relative).
void run_driver(Check& check, const GemmF16Kernels& g, bool integers, bool packed) {
  Rng rng(check.seed() + 1);
  const size_t m = 37, n = 45, k = integers ? 64 : 600;
  const float alpha = integers ? 0.25f : 0.5f;
  std::vector<float> at(k * m), b(k * n), bias(n);
  for (float& v : at) v = half_exact_value(rng, integers);
  for (float& v : b) v = half_exact_value(rng, integers);
  for (float& v : bias) v = half_exact_value(rng, true);
  std::vector<uint16_t> b16(b.size());
  for (size_t i = 0; i < b.size(); i++) b16[i] = half_bits(b[i]);
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a.raw = MatrixRef{at.data(), ElemType::f32, 1, static_cast<ptrdiff_t>(m), alpha, 0.0f};
  p.b.raw = MatrixRef{b16.data(), ElemType::f16, static_cast<ptrdiff_t>(n), 1, 1.0f, 0.0f};
  const GemmKernels& g32 = kernels().gemm;
  std::vector<float> panels(packed ? packed_floats(PackedInfo{PackedKind::b, g32.nr, 1, n, k}) : 0);
  if (packed) {
    pack_all(g32, PackedInfo{PackedKind::b, g32.nr, 1, n, k},
             MatrixRef{b.data(), ElemType::f32, static_cast<ptrdiff_t>(n), 1, 1.0f, 0.0f}, 0, panels.data());
    p.b.packed = panels.data() + kPackedHeader;
  }
  p.ldc = n;
  GemmProblem problems[2] = {p, p};
  problems[1].col_bias = bias.data();
  std::vector<uint16_t> out(2 * m * n);
  uint16_t* outs[2] = {out.data(), out.data() + m * n};
  check.begin(integers ? "driver exact" : "driver bounded", "2 x m=%zu n=%zu k=%zu, A^T * %g, B %s, bias on the second",
              m, n, k, alpha, packed ? "prepacked" : "float16");
  gemm_f16_run(g, problems, 2, outs);
  const double u = std::ldexp(1.0, -11), kc = static_cast<double>(std::min(k, kGemmF16Kc));
  for (size_t t = 0; t < 2; t++) {
    std::vector<float> got(m * n), want(m * n);
    float bound = 0.0f;
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < n; j++) {
        double s = t == 1 ? bias[j] : 0.0, magnitude = 0.0;
        for (size_t kk = 0; kk < k; kk++) {
          const double prod = static_cast<double>(alpha) * at[kk * m + i] * b[kk * n + j];
          s += prod;
          magnitude += std::fabs(prod);
        }
        want[i * n + j] = static_cast<float>(s);
        got[i * n + j] = half_to_float(outs[t][i * n + j]);
        if (!integers) bound = std::max(bound, static_cast<float>(kc * u / (1 - kc * u) * magnitude + u * std::fabs(s)));
      }
    }
    check.compare(got.data(), want.data(), got.size(), Tolerance{0, bound});
  }
}

// The bound above for one sum: kc terms in float16 (kc <= kGemmF16Kc), of magnitude sum |a b|.
double sum_bound(size_t kc, double magnitude) {
  const double u = std::ldexp(1.0, -11), n = static_cast<double>(std::min(kc, kGemmF16Kc));
  return n * u / (1 - n * u) * magnitude;
}

// Row k of a masked panel keeps column l when bit l of bits[(phase + k) % period] is set.
bool keeps(const GemmRowMasks* masks, size_t k, size_t l) {
  return !masks || ((masks->bits[(masks->phase + k) % masks->period] >> l) & 1u) != 0;
}

// ukernel_rows: kc row pointers at random offsets into one float16 buffer (as taps share rows), read
// from column `col`, with no masks or 1 to kGemmRowClasses classes of random column masks from a
// random phase, against the definition (a dropped column reads as zero).
void run_rows(Check& check, const GemmF16Kernels& g) {
  Rng rng(check.seed() + 2);
  for (size_t i = 0; i < 32; i++) {
    const bool integers = i % 2 == 0, accumulate = i % 4 == 1;
    const size_t mr = i % g.mr + 1, nr = (i * 5) % g.nr + 1, col = i % 5;
    const size_t kc = integers ? (i * 7) % 64 + 1 : (i * 37) % kGemmF16Kc + 1;
    const size_t period = i % 3 == 0 ? 0 : i % kGemmRowClasses + 1;
    const size_t span = 40;
    std::vector<float> buf(span + col + g.nr), a(mr * kc), c0(mr * nr);
    for (float& v : buf) v = half_exact_value(rng, integers);
    for (float& v : a) v = half_exact_value(rng, integers);
    for (float& v : c0) v = half_exact_value(rng, true);
    std::vector<uint16_t> buf16(buf.size()), pa(g.mr * kc);
    for (size_t t = 0; t < buf.size(); t++) buf16[t] = half_bits(buf[t]);
    std::vector<size_t> offsets(kc);
    std::vector<const uint16_t*> rows(kc);
    for (size_t k = 0; k < kc; k++) rows[k] = buf16.data() + (offsets[k] = rng.below(span));
    uint32_t bits[kGemmRowClasses];
    for (uint32_t& b : bits) b = static_cast<uint32_t>(rng.below(size_t{1} << g.nr));
    const GemmRowMasks mask_set{bits, period, period ? rng.below(period) : 0};
    const GemmRowMasks* masks = period ? &mask_set : nullptr;
    g.pack_a(mr, kc, MatrixRef{a.data(), ElemType::f32, static_cast<ptrdiff_t>(kc), 1, 1.0f, 0.0f}, pa.data());
    std::vector<float> want(mr * nr);
    double magnitude = 0.0;
    for (size_t r = 0; r < mr; r++) {
      for (size_t j = 0; j < nr; j++) {
        double sum = accumulate ? c0[r * nr + j] : 0.0, mag = 0.0;
        for (size_t k = 0; k < kc; k++) {
          const double p = keeps(masks, k, j) ? static_cast<double>(a[r * kc + k]) * buf[offsets[k] + col + j] : 0.0;
          sum += p;
          mag += std::fabs(p);
        }
        want[r * nr + j] = static_cast<float>(sum);
        magnitude = std::max(magnitude, mag);
      }
    }
    Guarded got(mr * nr);
    if (accumulate) std::memcpy(got.data(), c0.data(), c0.size() * sizeof(float));
    check.begin(integers ? "rows exact" : "rows bounded", "mr=%zu nr=%zu kc=%zu col=%zu classes=%zu acc=%d", mr, nr,
                kc, col, period, accumulate);
    g.ukernel_rows(mr, nr, kc, pa.data(), rows.data(), col, masks, got.data(), nr, accumulate);
    check.compare(got.data(), want.data(), want.size(), Tolerance{0, static_cast<float>(integers ? 0.0 : sum_bound(kc, magnitude))});
    check.expect(got.guard_ok(), "wrote outside C");
  }
}

// gemm_f16_rows_run (the convolutions' driver): B rows of float16 shifted into one buffer, a row bias,
// float32 products. "masked": rows of width 7 whose columns past a row's ends read as zero by tap
// class (shifts -2..2 over 5 classes: GemmB::pad_width), columns one to one; "pitch": product rows
// of pitch 9 whose last 2 columns are dropped (GemmProblem::pitch). Integers over K = 60 (exact),
// then K = 600 (three K blocks, the mask phase carried across them) within the bound above.
void run_rows_driver(Check& check, const GemmF16Kernels& g, bool integers, bool masked) {
  Rng rng(check.seed() + 3);
  const size_t m = 19, k = integers ? 60 : 600, width = 7, pitch = masked ? width : 9, rows_out = 6;
  const size_t n = rows_out * pitch, ow = masked ? n : rows_out * width, span = 30;
  const ptrdiff_t shifts[5] = {-2, -1, 0, 1, 2};
  std::vector<float> a(m * k), buf(span + n + g.nr), bias(m);
  for (float& v : a) v = half_exact_value(rng, integers);
  for (float& v : buf) v = half_exact_value(rng, integers);
  for (float& v : bias) v = half_exact_value(rng, true);
  std::vector<uint16_t> buf16(buf.size()), pa(div_up(m, g.mr) * g.mr * k);
  for (size_t t = 0; t < buf.size(); t++) buf16[t] = half_bits(buf[t]);
  std::vector<size_t> offsets(k);
  std::vector<const uint16_t*> rows(k);
  for (size_t kk = 0; kk < k; kk++) rows[kk] = buf16.data() + (offsets[kk] = rng.below(span));
  for (size_t i0 = 0; i0 < m; i0 += g.mr) {
    g.pack_a(std::min(g.mr, m - i0), k,
             MatrixRef{a.data() + i0 * k, ElemType::f32, static_cast<ptrdiff_t>(k), 1, 1.0f, 0.0f},
             pa.data() + i0 * k);
  }
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.ldc = ow;
  p.row_bias = bias.data();
  if (masked) {
    p.b.rows_in_place = true;
    p.b.pad_width = width;
    p.b.pad_period = 5;
    p.b.pad_shifts = shifts;
  } else {
    p.pitch = pitch;
    p.width = width;
  }
  std::vector<float> want(m * ow);
  float bound = 0.0f;
  for (size_t i = 0; i < m; i++) {
    for (size_t col = 0; col < n; col++) {
      if (col % pitch >= width) continue;
      double sum = bias[i], mag = 0.0;
      for (size_t kk = 0; kk < k; kk++) {
        const ptrdiff_t at = static_cast<ptrdiff_t>(col % width) + shifts[kk % 5];
        if (masked && (at < 0 || at >= static_cast<ptrdiff_t>(width))) continue;
        const double prod = static_cast<double>(a[i * k + kk]) * buf[offsets[kk] + col];
        sum += prod;
        mag += std::fabs(prod);
      }
      want[i * ow + col / pitch * width + col % pitch] = static_cast<float>(sum);
      if (!integers) bound = std::max(bound, static_cast<float>(sum_bound(k, mag)));
    }
  }
  Guarded got(m * ow);
  p.c = got.data();
  check.begin(integers ? "rows driver exact" : "rows driver bounded", "m=%zu n=%zu k=%zu %s, row bias", m, n, k,
              masked ? "masked" : "pitch 9 of 7");
  gemm_f16_rows_run(g, p, pa.data(), rows.data(), !integers);
  check.compare(got.data(), want.data(), want.size(), Tolerance{0, bound});
  check.expect(got.guard_ok(), "wrote outside C");
}

void run_all(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  run(check, isa, scalar);
  if (!isa.gemm_f16.ukernel) return;
  for (const bool packed : {false, true}) {
    run_driver(check, isa.gemm_f16, true, packed);
    run_driver(check, isa.gemm_f16, false, packed);
  }
  run_rows(check, isa.gemm_f16);
  for (const bool masked : {true, false}) {
    run_rows_driver(check, isa.gemm_f16, true, masked);
    run_rows_driver(check, isa.gemm_f16, false, masked);
  }
}

const Register kRegister({"gemm_f16", {field(&KernelTable::gemm_f16)}, &run_all, nullptr});

}  // namespace
}  // namespace os::test
