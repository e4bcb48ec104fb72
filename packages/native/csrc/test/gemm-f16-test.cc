// Test adapter for gemm_f16 (kernels/gemm/gemm-f16.h): whole products computed tile by tile with the
// table's float16 packing and micro-kernel, K in blocks of kGemmF16Kc (later blocks accumulate),
// against products in double precision. The scalar table has no float16 arithmetic, so each ISA is
// checked against the definition; a table without the kernels must come from a CPU without them.
// Last, the threaded driver over whole problems with float16 results.
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

// Half bits of a float16-exact float (normal or zero), as in gemm-test.cc.
uint16_t half_bits(float v) {
  if (v == 0.0f) return std::signbit(v) ? 0x8000u : 0;
  int e;
  const float frac = std::frexp(std::fabs(v), &e);
  auto h = static_cast<uint16_t>(((e - 1 + 15) << 10) | (static_cast<uint32_t>(frac * 2048.0f) & 0x3ffu));
  return v < 0 ? static_cast<uint16_t>(h | 0x8000u) : h;
}

float value(Rng& rng, bool integers) {
  return integers ? static_cast<float>(static_cast<int>(rng.below(9)) - 4)
                  : static_cast<float>(static_cast<int>(rng.below(2049)) - 1024) / 1024.0f;
}

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
    for (float& v : a) v = value(rng, c.integers);
    for (float& v : b) v = value(rng, c.integers);
    for (float& v : c0) v = value(rng, true);
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
// transposed and scaled (Gemm's alpha), B from float16 bits, a column bias on the second, float16
// results. Integers over K = 64 with alpha 1/4 (multiples of 1/4 below 512: exact in float16, so
// tolerance 0), then a deep K within the bound above plus the result's rounding (2^-11 relative).
void run_driver(Check& check, const GemmF16Kernels& g, bool integers) {
  Rng rng(check.seed() + 1);
  const size_t m = 37, n = 45, k = integers ? 64 : 600;
  const float alpha = integers ? 0.25f : 0.5f;
  std::vector<float> at(k * m), b(k * n), bias(n);
  for (float& v : at) v = value(rng, integers);
  for (float& v : b) v = value(rng, integers);
  for (float& v : bias) v = value(rng, true);
  std::vector<uint16_t> b16(b.size());
  for (size_t i = 0; i < b.size(); i++) b16[i] = half_bits(b[i]);
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a.raw = MatrixRef{at.data(), ElemType::f32, 1, static_cast<ptrdiff_t>(m), alpha, 0.0f};
  p.b.raw = MatrixRef{b16.data(), ElemType::f16, static_cast<ptrdiff_t>(n), 1, 1.0f, 0.0f};
  p.ldc = n;
  GemmProblem problems[2] = {p, p};
  problems[1].col_bias = bias.data();
  std::vector<uint16_t> out(2 * m * n);
  uint16_t* outs[2] = {out.data(), out.data() + m * n};
  check.begin(integers ? "driver exact" : "driver bounded", "2 x m=%zu n=%zu k=%zu, A^T * %g, bias on the second", m,
              n, k, alpha);
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

void run_all(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  run(check, isa, scalar);
  if (!isa.gemm_f16.ukernel) return;
  run_driver(check, isa.gemm_f16, true);
  run_driver(check, isa.gemm_f16, false);
}

const Register kRegister({"gemm_f16", {field(&KernelTable::gemm_f16)}, &run_all, nullptr});

}  // namespace
}  // namespace os::test
