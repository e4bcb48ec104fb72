// Test adapter for gemm (kernels/gemm): whole products computed tile by tile with each table's own
// packing and micro-kernels (its MR x NR), against the scalar table: odd M, N, K (every partial
// panel and tail), K split in two blocks (accumulation), row and column biases, every epilogue
// activation, B packed from a strided matrix, from row pointers, or read in place (partial panels
// included, and with padding columns masked), and A packed from float32, float16 and uint8. The
// scalar table is checked against products in double precision.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../kernels/gemm/gemm.h"
#include "../kernels/vunary/vunary.h"
#include "harness.h"

namespace os::test {
namespace {

// in_place_padded: rows read in place stand for zero-padded rows (GemmRowMasks): row k is the
// source row shifted by padded_shift(k % period) within rows of padded_width columns;
// packed_padded: the same rows packed through the masks.
enum class BSource { strided, rows, in_place, in_place_padded, packed_padded };

struct Case {
  size_t m, n, k;
  ElemType a_type;
  BSource b;
  bool split_k;     // two K blocks: the second accumulates onto the first
  bool accumulate;  // C starts from its previous contents
  bool row_bias, col_bias;
  int activation;  // UnaryOp value or -1
  size_t padded_width, padded_period;
};

bool padded(const Case& c) { return c.b == BSource::in_place_padded || c.b == BSource::packed_padded; }

ptrdiff_t padded_shift(size_t t) { return static_cast<ptrdiff_t>(t * 3 % 5) - 2; }

// Whether column p of row k of an in_place_padded B is kept (else it reads as zero).
bool padded_keeps(const Case& c, size_t k, size_t p) {
  const ptrdiff_t col = static_cast<ptrdiff_t>(p % c.padded_width) + padded_shift(k % c.padded_period);
  return col >= 0 && col < static_cast<ptrdiff_t>(c.padded_width);
}

struct Inputs {
  std::vector<float> a;         // M x K as float32 (the values the other types encode)
  std::vector<uint16_t> a_f16;  // the same as half bits (values chosen representable)
  std::vector<uint8_t> a_u8;    // and as uint8 with kScale / kZero
  std::vector<float> b;         // K x N
  std::vector<float> c0, row_bias, col_bias;
};

constexpr float kScale = 0.125f;
constexpr float kZero = 100.0f;

// Values exact in float16 and in the uint8 encoding: (q - 100) / 8 for q in 0..255.
Inputs make_inputs(Rng& rng, const Case& c) {
  Inputs in;
  in.a.resize(c.m * c.k);
  in.a_f16.resize(in.a.size());
  in.a_u8.resize(in.a.size());
  for (size_t i = 0; i < in.a.size(); i++) {
    const auto q = static_cast<uint8_t>(rng.below(256));
    in.a_u8[i] = q;
    in.a[i] = (static_cast<float>(q) - kZero) * kScale;
    // Half bits of a multiple of 1/8 below 20 in magnitude: sign, exponent and 10-bit mantissa.
    const float v = in.a[i];
    uint16_t h = 0;
    if (v != 0.0f) {
      int e;
      const float frac = std::frexp(std::fabs(v), &e);  // |v| = frac * 2^e, frac in [0.5, 1)
      h = static_cast<uint16_t>(((e - 1 + 15) << 10) | (static_cast<uint32_t>(frac * 2048.0f) & 0x3ffu));
      if (v < 0) h |= 0x8000u;
    }
    in.a_f16[i] = h;
  }
  in.b.resize(c.k * c.n);
  rng.fill(in.b.data(), in.b.size(), -1, 1);
  if (padded(c)) {
    for (size_t kk = 0; kk < c.k; kk++) {
      for (size_t j = 0; j < c.n; j++) {
        if (!padded_keeps(c, kk, j)) in.b[kk * c.n + j] = 0.0f;
      }
    }
  }
  in.c0.resize(c.m * c.n);
  rng.fill(in.c0.data(), in.c0.size(), -1, 1);
  in.row_bias.resize(c.m);
  rng.fill(in.row_bias.data(), c.m, -1, 1);
  in.col_bias.resize(c.n);
  rng.fill(in.col_bias.data(), c.n, -1, 1);
  return in;
}

// C computed with table g's packing and micro-kernels, every tile; inputs are read from guarded,
// read-only copies, so a read past a matrix or a write to an input crashes.
void product(const GemmKernels& g, const Case& c, const Inputs& in, float* out) {
  const size_t mr = g.mr, nr_max = g.nr;
  // A's source in the case's element type, guarded.
  const size_t a_bytes = c.a_type == ElemType::f32 ? 4 : c.a_type == ElemType::f16 ? 2 : 1;
  Guarded a_src((in.a.size() * a_bytes + 3) / 4 + 1);
  std::memcpy(a_src.data(),
              c.a_type == ElemType::f32   ? static_cast<const void*>(in.a.data())
              : c.a_type == ElemType::f16 ? static_cast<const void*>(in.a_f16.data())
                                          : static_cast<const void*>(in.a_u8.data()),
              in.a.size() * a_bytes);
  a_src.protect();
  // In place or padded, rows are read NR columns past the last panel's start: the source then
  // ends with NR NaNs, which must not reach the stored columns; so are its padding columns, which
  // must read as zero.
  const bool in_place = c.b == BSource::in_place || c.b == BSource::in_place_padded;
  std::vector<float> b_values = in.b;
  if (in_place || padded(c)) b_values.resize(in.b.size() + nr_max, std::nanf(""));
  for (size_t kk = 0; padded(c) && kk < c.k; kk++) {
    for (size_t j = 0; j < c.n; j++) {
      if (!padded_keeps(c, kk, j)) b_values[kk * c.n + j] = std::nanf("");
    }
  }
  Guarded b_src(b_values.data(), b_values.size());
  b_src.protect();
  const float scale = c.a_type == ElemType::u8 ? kScale : 1.0f;
  const float zero = c.a_type == ElemType::u8 ? kZero : 0.0f;

  const size_t panels = (c.m + mr - 1) / mr;
  std::vector<float> a_packed(panels * mr * c.k + 1);
  for (size_t p = 0; p < panels; p++) {
    const MatrixRef src{reinterpret_cast<const char*>(a_src.data()) + p * mr * c.k * a_bytes, c.a_type,
                        static_cast<ptrdiff_t>(c.k), 1, scale, zero};
    g.pack_a(std::min(mr, c.m - p * mr), c.k, src, a_packed.data() + p * mr * c.k);
  }
  std::vector<const float*> rows(c.k);
  for (size_t kk = 0; kk < c.k; kk++) rows[kk] = b_src.data() + kk * c.n;
  std::vector<float> b_packed(nr_max * std::max<size_t>(c.k, 1));
  std::copy(in.c0.begin(), in.c0.end(), out);
  const size_t k1 = c.split_k ? c.k / 2 : c.k;
  for (size_t j = 0; j < c.n; j += nr_max) {
    const size_t nr = std::min(nr_max, c.n - j);
    // The panel's columns each row class keeps.
    uint32_t bits[kGemmRowClasses] = {};
    for (size_t t = 0; t < c.padded_period; t++) {
      for (size_t l = 0; l < nr_max; l++) bits[t] |= padded_keeps(c, t, j + l) ? uint32_t{1} << l : 0;
    }
    for (size_t pc : {size_t{0}, k1}) {
      const size_t kc = pc == 0 ? k1 : c.k - k1;
      if (pc != 0 && !c.split_k) break;
      const bool last = pc + kc == c.k;
      const GemmRowMasks masks{bits, c.padded_period, pc % std::max<size_t>(c.padded_period, 1)};
      const GemmRowMasks* row_masks = padded(c) ? &masks : nullptr;
      if (!in_place) {
        if (c.b == BSource::strided) {
          g.pack_b(kc, nr, MatrixRef{b_src.data() + pc * c.n + j, ElemType::f32, static_cast<ptrdiff_t>(c.n), 1, 1.0f, 0.0f},
                   b_packed.data());
        } else {
          g.pack_b_rows(kc, nr, rows.data() + pc, j, row_masks, b_packed.data());
        }
      }
      for (size_t i = 0; i < c.m; i += mr) {
        const GemmEpilogue ep{c.row_bias ? in.row_bias.data() + i : nullptr, c.col_bias ? in.col_bias.data() + j : nullptr,
                              c.activation};
        const float* a = a_packed.data() + (i / mr) * mr * c.k + pc * mr;
        float* tile = out + i * c.n + j;
        const bool acc = c.accumulate || pc > 0;
        if (in_place) {
          g.ukernel_rows(std::min(mr, c.m - i), nr, kc, a, rows.data() + pc, j, row_masks, tile, c.n, acc,
                         last ? &ep : nullptr);
        } else {
          g.ukernel(std::min(mr, c.m - i), nr, kc, a, b_packed.data(), tile, c.n, acc, last ? &ep : nullptr);
        }
      }
    }
  }
}

const char* activation_name(int activation) {
  switch (activation) {
    case static_cast<int>(UnaryOp::relu): return "relu";
    case static_cast<int>(UnaryOp::sigmoid): return "sigmoid";
    case static_cast<int>(UnaryOp::silu): return "silu";
    case static_cast<int>(UnaryOp::tanh): return "tanh";
    default: return "none";
  }
}

std::vector<Case> cases() {
  std::vector<Case> list;
  const int acts[] = {-1, static_cast<int>(UnaryOp::relu), static_cast<int>(UnaryOp::sigmoid),
                      static_cast<int>(UnaryOp::silu), static_cast<int>(UnaryOp::tanh)};
  size_t i = 0;
  // Every M up to three panels of the widest tile, N past two panels of it, K odd and split; padded
  // rows 1 to 11 columns wide in 1 to 5 classes.
  for (size_t m : {1, 2, 3, 5, 7, 8, 9, 12, 13, 17, 25}) {
    for (size_t n : {1, 3, 15, 16, 17, 31, 33, 47, 64, 65, 97}) {
      const size_t k = (i * 7) % 40 + 1;
      const auto b = static_cast<BSource>((i + i / 11) % 5);
      const auto type = static_cast<ElemType>((i / 3) % 3);
      list.push_back(
          {m, n, k, type, b, i % 4 == 1, i % 5 == 2, i % 2 == 0, i % 3 == 1, acts[i % 5], i % 11 + 1, i % 5 + 1});
      i++;
    }
  }
  // Deep K (several cache blocks in the driver) on full tiles.
  list.push_back({16, 64, 300, ElemType::f32, BSource::in_place, true, false, true, false, -1, 0, 0});
  list.push_back({24, 96, 257, ElemType::f32, BSource::rows, true, true, false, true, 2, 0, 0});
  list.push_back({16, 70, 301, ElemType::f32, BSource::in_place_padded, true, false, true, false, 2, 20, 3});
  list.push_back({16, 70, 301, ElemType::f32, BSource::packed_padded, true, false, true, false, 2, 20, 3});
  return list;
}

void run(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Case& c : cases()) {
    const Inputs in = make_inputs(rng, c);
    Guarded got(c.m * c.n), want(c.m * c.n);
    check.begin(activation_name(c.activation), "m=%zu n=%zu k=%zu a=%d b=%d split=%d acc=%d bias=%d%d", c.m, c.n, c.k,
                static_cast<int>(c.a_type), static_cast<int>(c.b), c.split_k, c.accumulate, c.row_bias, c.col_bias);
    product(scalar.gemm, c, in, want.data());
    product(isa.gemm, c, in, got.data());
    // Sums of K products of magnitude <= 16 in another order: absolute error grows with K.
    check.compare(got.data(), want.data(), c.m * c.n, Tolerance{8, 4e-6f * static_cast<float>(c.k + 1)});
    check.expect(got.guard_ok(), "wrote outside C");
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Case& c : cases()) {
    const Inputs in = make_inputs(rng, c);
    std::vector<float> got(c.m * c.n), want(c.m * c.n);
    for (size_t i = 0; i < c.m; i++) {
      for (size_t j = 0; j < c.n; j++) {
        double s = c.accumulate ? in.c0[i * c.n + j] : 0.0;
        for (size_t kk = 0; kk < c.k; kk++) s += static_cast<double>(in.a[i * c.k + kk]) * in.b[kk * c.n + j];
        if (c.row_bias) s += in.row_bias[i];
        if (c.col_bias) s += in.col_bias[j];
        want[i * c.n + j] = static_cast<float>(activate(c.activation, s));
      }
    }
    check.begin(activation_name(c.activation), "against double precision: m=%zu n=%zu k=%zu a=%d", c.m, c.n, c.k,
                static_cast<int>(c.a_type));
    product(scalar.gemm, c, in, got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, 4e-6f * static_cast<float>(c.k + 1)});
  }
}

const Register kRegister({"gemm", {field(&KernelTable::gemm)}, &run, &spec});

}  // namespace
}  // namespace os::test
