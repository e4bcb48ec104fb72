// Test adapter for attention (kernels/attention), the building blocks of tiled attention with an online
// softmax: attn_gemm (odd m, n and k around its 4-row x 2-vector tiles, leading dimensions with gaps
// it must not touch, alpha, accumulation, special values), attn_softmax (first and later key blocks,
// a running max above every score, masked keys, fully masked rows before and after unmasked ones, NaN
// among numbers and among -inf), attn_finish (fully masked rows: zeros) and the three composed as the
// operator composes them (blocks of keys, a random mask) against softmax(scale Q.K^T + mask).V in
// double precision; each ISA against the scalar table and the definitions.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/attention/attention.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = 777.25f;  // gaps after the rows of outputs
constexpr Tolerance kExact{0, 0.0f, true};

// A row-major matrix with a leading dimension, stored as its (rows - 1) * ld + cols values.
struct Matrix {
  size_t rows, cols, ld;
  std::vector<float> v;
  float& at(size_t i, size_t j) { return v[i * ld + j]; }
  float at(size_t i, size_t j) const { return v[i * ld + j]; }
};

Matrix matrix(Rng& rng, size_t rows, size_t cols, size_t gap, float lo, float hi) {
  Matrix m{rows, cols, cols + gap, std::vector<float>((rows - 1) * (cols + gap) + cols, kSentinel)};
  for (size_t i = 0; i < rows; i++) rng.fill(&m.at(i, 0), cols, lo, hi);
  return m;
}

// The elements of a matrix without its gaps, as one array for compare().
std::vector<float> elements(const float* p, size_t rows, size_t cols, size_t ld) {
  std::vector<float> out;
  for (size_t i = 0; i < rows; i++) out.insert(out.end(), p + i * ld, p + i * ld + cols);
  return out;
}

// The gaps after each row but the last hold the sentinel still.
bool gaps_intact(const float* p, size_t rows, size_t cols, size_t ld) {
  for (size_t i = 0; i + 1 < rows; i++) {
    for (size_t j = cols; j < ld; j++) {
      if (std::memcmp(&p[i * ld + j], &kSentinel, sizeof(float)) != 0) return false;
    }
  }
  return true;
}

// ---- attn_gemm ----

struct GemmCase {
  Matrix a, b, c0;  // m x k, k x n, m x n
  float alpha;
  bool accumulate;
  bool special;
};

// Special values for the products: NaN, infinities and zeros, which propagate the same way in float
// and double (no finite magnitudes that overflow in float only).
void scatter_specials(Rng& rng, Matrix& x) {
  const float sp[] = {kNaN, kInf, -kInf, 0.0f, -0.0f};
  for (size_t t = 0; t < x.rows * x.cols / 16 + 1; t++) x.at(rng.below(x.rows), rng.below(x.cols)) = sp[rng.below(5)];
}

std::vector<GemmCase> gemm_cases(Rng& rng) {
  std::vector<GemmCase> list;
  const size_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 13};
  size_t i = 0;
  for (size_t n : test_sizes()) {
    if (n > 100) continue;
    for (size_t rep = 0; rep < 2; rep++, i++) {
      const size_t m = ms[i % 9], k = (i * 7) % 41 + 1, gap = i % 4 == 0 ? 0 : i % 5 + 1;
      GemmCase c{matrix(rng, m, k, gap, -2, 2), matrix(rng, k, n, (gap + 2) % 5, -2, 2),
                 matrix(rng, m, n, gap, -2, 2), rng.uniform(-1.5f, 1.5f), i % 2 == 1, i % 7 == 3};
      if (c.special) {
        scatter_specials(rng, c.a);
        scatter_specials(rng, c.b);
      }
      list.push_back(std::move(c));
    }
  }
  return list;
}

// c = alpha a.b (+ c0) in double precision, and its bound: each of the k fmas rounds by 2^-24 of a
// partial sum of at most sum |a b|, the scaling (or fma with c0) and the definition's float once each
// by 2^-24 of at most |alpha| sum |a b| + |c0|: (k + 2) |alpha| S + 2 |c0|, S the largest sum |a b|.
std::vector<float> definition_gemm(const GemmCase& c, float* abs) {
  const size_t m = c.a.rows, n = c.b.cols, k = c.a.cols;
  std::vector<float> y(m * n);
  double smax = 0.0, cmax = 0.0;
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < n; j++) {
      double s = 0.0, mag = 0.0;
      for (size_t p = 0; p < k; p++) {
        s += static_cast<double>(c.a.at(i, p)) * c.b.at(p, j);
        mag += std::fabs(static_cast<double>(c.a.at(i, p)) * c.b.at(p, j));
      }
      const double c0 = c.accumulate ? c.c0.at(i, j) : 0.0;
      y[i * n + j] = static_cast<float>(c.alpha * s + c0);
      if (std::isfinite(mag)) smax = std::max(smax, mag);
      cmax = std::max(cmax, std::fabs(c0));
    }
  }
  *abs = static_cast<float>(kU * ((static_cast<double>(k) + 2) * std::fabs(c.alpha) * smax + 2 * cmax));
  return y;
}

// Runs table t on guarded copies; returns C (its gaps included, for the gap check).
void run_gemm(const KernelTable& t, const GemmCase& c, Guarded* out) {
  Guarded a(c.a.v.data(), c.a.v.size()), b(c.b.v.data(), c.b.v.size());
  a.protect();
  b.protect();
  std::memcpy(out->data(), c.c0.v.data(), c.c0.v.size() * sizeof(float));
  t.attn_gemm(c.a.rows, c.b.cols, c.a.cols, a.data(), c.a.ld, b.data(), c.b.ld, out->data(), c.c0.ld, c.alpha,
              c.accumulate);
}

void gemm_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const GemmCase& c) {
  const size_t m = c.a.rows, n = c.b.cols, size = c.c0.v.size();
  Guarded want(size), got(size);
  const char* what = c.special ? "special" : "random";
  check.begin("gemm", "%s, m=%zu n=%zu k=%zu lds %zu %zu %zu acc=%d", what, m, n, c.a.cols, c.a.ld, c.b.ld, c.c0.ld,
              c.accumulate);
  run_gemm(scalar, c, &want);
  run_gemm(isa, c, &got);
  float abs;
  const std::vector<float> def = definition_gemm(c, &abs);
  // Every ISA runs the same chain of multiply-adds over k for each element, then the same scaling: bit
  // for bit where they are fused.
  check.compare(elements(got.data(), m, n, c.c0.ld).data(), elements(want.data(), m, n, c.c0.ld).data(), m * n,
                same_operations(isa, kExact, Tolerance{0, abs}));
  check.expect(got.guard_ok(), "wrote before C");
  check.expect(gaps_intact(got.data(), m, n, c.c0.ld), "wrote into the gaps between C's rows");
  check.begin("gemm vs double", "%s, m=%zu n=%zu k=%zu", what, m, n, c.a.cols);
  check.compare(elements(got.data(), m, n, c.c0.ld).data(), def.data(), m * n, Tolerance{0, abs});
}

// ---- attn_softmax ----

enum class State { first, running, above };  // m = -inf; m within the scores; m above every score

struct SoftmaxCase {
  Matrix s;  // rows x cols scores
  Matrix o;  // rows x dv accumulators
  std::vector<float> m, l;
  const char* what;
};

std::vector<SoftmaxCase> softmax_cases(Rng& rng) {
  std::vector<SoftmaxCase> list;
  const size_t rows_list[] = {1, 2, 3, 5, 8, 32};
  const size_t dvs[] = {1, 3, 8, 17, 40, 65};
  size_t i = 0;
  for (size_t cols : test_sizes()) {
    if (cols > 300) continue;
    for (State state : {State::first, State::running, State::above}) {
      const size_t rows = rows_list[i % 6], dv = dvs[(i / 2) % 6];
      SoftmaxCase c{matrix(rng, rows, cols, i % 3, -8, 8), matrix(rng, rows, dv, (i + 1) % 4, -3, 3),
                    std::vector<float>(rows), std::vector<float>(rows), "random"};
      for (size_t r = 0; r < rows; r++) {
        c.m[r] = state == State::first ? -kInf : state == State::running ? rng.uniform(-8, 8) : rng.uniform(9, 12);
        c.l[r] = state == State::first ? 0.0f : rng.uniform(0.5f, 20);
        if (state == State::first) std::fill(&c.o.at(r, 0), &c.o.at(r, 0) + dv, 0.0f);
        // Row kinds: masked keys, a fully masked row, NaN among numbers, NaN among -inf.
        const size_t kind = (r + i) % 7;
        for (size_t j = 0; j < cols; j++) {
          if (kind == 1 && rng.below(3) == 0) c.s.at(r, j) = -kInf;
          if (kind == 2 || kind == 4) c.s.at(r, j) = -kInf;
        }
        if (kind == 3 || kind == 4) c.s.at(r, rng.below(cols)) = kNaN;
      }
      c.what = state == State::first ? "first block" : state == State::running ? "running" : "max above the scores";
      list.push_back(std::move(c));
      i++;
    }
  }
  return list;
}

// The online-softmax step in double precision (attention.h): the new max of the numbers, scores to
// exp(s - max) (a masked row: -inf to 0, NaN stays), l and o rescaled by exp(m - new max).
void definition_softmax(SoftmaxCase& c) {
  for (size_t r = 0; r < c.s.rows; r++) {
    double mx = c.m[r];
    for (size_t j = 0; j < c.s.cols; j++) {
      if (!std::isnan(c.s.at(r, j))) mx = std::max<double>(mx, c.s.at(r, j));
    }
    if (mx == -HUGE_VAL) {
      for (size_t j = 0; j < c.s.cols; j++) c.s.at(r, j) = c.s.at(r, j) == -kInf ? 0.0f : c.s.at(r, j);
      continue;
    }
    double sum = 0.0;
    for (size_t j = 0; j < c.s.cols; j++) {
      const double e = std::exp(c.s.at(r, j) - mx);
      c.s.at(r, j) = static_cast<float>(e);
      sum += e;
    }
    const double alpha = std::exp(c.m[r] - mx);
    c.l[r] = static_cast<float>(c.l[r] * alpha + sum);
    c.m[r] = static_cast<float>(mx);
    for (size_t j = 0; j < c.o.cols; j++) c.o.at(r, j) = static_cast<float>(c.o.at(r, j) * alpha);
  }
}

// Bounds against the definition. A score's exp: 2 ulp (math.h), plus |s - max| ulp from rounding
// s - max in float (up to 88, past which exp flushes to 0: FLT_MIN absolute). o: the
// rescaling exp(m - max) (std::exp, 1 ulp, plus |m - max| ulp from the float difference) and the
// product: 2 + |m - max| ulp. l = l alpha + the sum of cols terms: cols - 1 roundings of the sum, the
// terms' and alpha's errors, the product-add: cols + 4 + 2 D ulp, D the largest argument term.
struct SoftmaxTol {
  Tolerance s, o, l;
};

SoftmaxTol softmax_tol(const SoftmaxCase& c) {
  double d = 0.0;
  for (size_t r = 0; r < c.s.rows; r++) {
    double mx = c.m[r];
    for (size_t j = 0; j < c.s.cols; j++) {
      if (!std::isnan(c.s.at(r, j))) mx = std::max<double>(mx, c.s.at(r, j));
    }
    if (!std::isfinite(mx)) continue;
    for (size_t j = 0; j < c.s.cols; j++) {
      const double arg = mx - c.s.at(r, j);
      if (arg < 88) d = std::max(d, arg);
    }
    if (mx - c.m[r] < 88) d = std::max(d, mx - c.m[r]);
  }
  const auto du = static_cast<uint32_t>(std::ceil(d));
  return SoftmaxTol{Tolerance{3 + du, FLT_MIN}, Tolerance{3 + du, 0.0f},
                    Tolerance{static_cast<uint32_t>(c.s.cols) + 4 + 2 * du, 0.0f}};
}

// Runs one step with table t on copies (s and o in guarded buffers, gaps checked by the caller).
void run_softmax(const KernelTable& t, const SoftmaxCase& c, Guarded* s, Guarded* o, std::vector<float>* m,
                 std::vector<float>* l) {
  std::memcpy(s->data(), c.s.v.data(), c.s.v.size() * sizeof(float));
  std::memcpy(o->data(), c.o.v.data(), c.o.v.size() * sizeof(float));
  *m = c.m;
  *l = c.l;
  t.attn_softmax(c.s.rows, c.s.cols, s->data(), c.s.ld, m->data(), l->data(), o->data(), c.o.ld, c.o.cols);
}

void softmax_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const SoftmaxCase& c) {
  const size_t rows = c.s.rows, cols = c.s.cols, dv = c.o.cols;
  Guarded ws(c.s.v.size()), wo(c.o.v.size()), gs(c.s.v.size()), go(c.o.v.size());
  std::vector<float> wm, wl, gm, gl;
  run_softmax(scalar, c, &ws, &wo, &wm, &wl);
  run_softmax(isa, c, &gs, &go, &gm, &gl);
  SoftmaxCase def = c;
  definition_softmax(def);
  const SoftmaxTol tol = softmax_tol(c);
  check.begin("softmax", "%s, rows=%zu cols=%zu dv=%zu", c.what, rows, cols, dv);
  // The same max, exp and rescaling on every ISA: s, m and o bit for bit where multiply-adds are fused.
  check.compare(elements(gs.data(), rows, cols, c.s.ld).data(), elements(ws.data(), rows, cols, c.s.ld).data(),
                rows * cols, same_operations(isa, kExact, tol.s));
  check.compare(gm.data(), wm.data(), rows, kExact);
  check.compare(elements(go.data(), rows, dv, c.o.ld).data(), elements(wo.data(), rows, dv, c.o.ld).data(), rows * dv,
                same_operations(isa, kExact, tol.o));
  check.expect(gs.guard_ok() && go.guard_ok(), "wrote outside s or o");
  check.expect(gaps_intact(gs.data(), rows, cols, c.s.ld) && gaps_intact(go.data(), rows, dv, c.o.ld),
               "wrote into the gaps between rows of s or o");
  // l sums the row's exps in another order per ISA (lanes, then the tail), and the tables built with
  // FMA fuse l alpha + sum: cols - 1 roundings on either side and the product-add, 2 cols + 2 ulp.
  check.begin("softmax l", "%s, rows=%zu cols=%zu", c.what, rows, cols);
  check.compare(gl.data(), wl.data(), rows, Tolerance{static_cast<uint32_t>(2 * cols + 2), 0.0f});
  check.begin("softmax vs double", "%s, rows=%zu cols=%zu dv=%zu", c.what, rows, cols, dv);
  check.compare(elements(gs.data(), rows, cols, c.s.ld).data(), elements(def.s.v.data(), rows, cols, c.s.ld).data(),
                rows * cols, tol.s);
  check.compare(gm.data(), def.m.data(), rows, kExact);
  check.compare(elements(go.data(), rows, dv, c.o.ld).data(), elements(def.o.v.data(), rows, dv, c.o.ld).data(),
                rows * dv, tol.o);
  check.compare(gl.data(), def.l.data(), rows, tol.l);
}

// ---- attn_finish ----

void finish_case(Check& check, const KernelTable& isa, const KernelTable& scalar, Rng& rng, size_t rows, size_t dv,
                 size_t gap) {
  const Matrix o = matrix(rng, rows, dv, gap, -5, 5);
  std::vector<float> l(rows);
  for (size_t r = 0; r < rows; r++) l[r] = r % 3 == 1 ? 0.0f : rng.uniform(0.01f, 50);  // 0: a masked row
  Guarded go(o.v.data(), o.v.size()), gl(l.data(), rows);
  go.protect();
  gl.protect();
  const size_t ldy = dv + (gap + 1) % 4, size = (rows - 1) * ldy + dv;
  Guarded want(size), got(size);
  std::fill(want.data(), want.data() + size, kSentinel);
  std::fill(got.data(), got.data() + size, kSentinel);
  check.begin("finish", "rows=%zu dv=%zu ldo=%zu ldy=%zu", rows, dv, o.ld, ldy);
  scalar.attn_finish(rows, dv, go.data(), o.ld, gl.data(), want.data(), ldy);
  isa.attn_finish(rows, dv, go.data(), o.ld, gl.data(), got.data(), ldy);
  // One reciprocal per row and one product per element on every ISA: bit for bit.
  const std::vector<float> y = elements(got.data(), rows, dv, ldy);
  check.compare(y.data(), elements(want.data(), rows, dv, ldy).data(), rows * dv, kExact);
  check.expect(got.guard_ok(), "wrote before y");
  check.expect(gaps_intact(got.data(), rows, dv, ldy), "wrote into the gaps between y's rows");
  std::vector<float> def;
  for (size_t r = 0; r < rows; r++) {
    for (size_t j = 0; j < dv; j++) def.push_back(l[r] > 0 ? static_cast<float>(o.at(r, j) / static_cast<double>(l[r])) : 0.0f);
  }
  // o * (1 / l): the reciprocal and the product round once each, the definition's float once: 2 ulp.
  check.begin("finish vs double", "rows=%zu dv=%zu", rows, dv);
  check.compare(y.data(), def.data(), rows * dv, Tolerance{2});
}

// ---- the three composed ----

struct Flash {
  size_t tq, tkv, d, dv, block;
  float scale;
  Matrix q, kt, v;                 // tq x d, d x tkv (K^T, padded rows), tkv x dv
  std::vector<unsigned char> mask;  // tq x tkv, 1 = visible
};

std::vector<Flash> flash_cases(Rng& rng) {
  std::vector<Flash> list;
  const size_t shapes[][5] = {{1, 1, 1, 1, 256},   {3, 17, 5, 7, 256},   {8, 40, 16, 16, 7},  {5, 300, 40, 40, 256},
                              {32, 65, 64, 33, 16}, {13, 129, 80, 80, 64}, {2, 513, 8, 3, 256}, {17, 31, 3, 65, 5}};
  for (const auto& sh : shapes) {
    Flash f{sh[0], sh[1], sh[2], sh[3], sh[4], 1.0f / std::sqrt(static_cast<float>(sh[2])), {}, {}, {}, {}};
    f.q = matrix(rng, f.tq, f.d, 0, -2, 2);
    f.kt = matrix(rng, f.d, f.tkv, 16 - f.tkv % 16, -2, 2);
    f.v = matrix(rng, f.tkv, f.dv, 0, -3, 3);
    f.mask.resize(f.tq * f.tkv);
    for (size_t i = 0; i < f.tq; i++) {
      for (size_t j = 0; j < f.tkv; j++) f.mask[i * f.tkv + j] = rng.below(4) != 0 && !(i % 5 == 4);  // row 4: masked
    }
    list.push_back(std::move(f));
  }
  return list;
}

// y = softmax(scale q.k^T + mask).v in double precision, zeros for a fully masked row; and the bound,
// from the errors of each weight e_j = exp(s_j - max): the score's (the k-long fma chain scaled,
// (d + 1) 2^-24 scale sum |q k|), exp's 2 ulp, the argument's |s - max| ulp, and each later key block's
// rescaling (1 + |m - max| ulp): eps; then the sums of tkv weights and of tkv weighted values rounding
// once per term and once per block, the division 2: |y - def| <= max|v| (2 eps + (2 tkv + 3 blocks + 2)
// 2^-24).
std::vector<float> definition_flash(const Flash& f, float* abs) {
  std::vector<float> y(f.tq * f.dv);
  double delta = 0.0, args = 0.0, vmax = 0.0;
  for (float x : f.v.v) vmax = std::max(vmax, std::fabs(static_cast<double>(x)));
  for (size_t i = 0; i < f.tq; i++) {
    std::vector<double> s(f.tkv);
    double mx = -HUGE_VAL;
    for (size_t j = 0; j < f.tkv; j++) {
      double dot = 0.0, mag = 0.0;
      for (size_t p = 0; p < f.d; p++) {
        dot += static_cast<double>(f.q.at(i, p)) * f.kt.at(p, j);
        mag += std::fabs(static_cast<double>(f.q.at(i, p)) * f.kt.at(p, j));
      }
      s[j] = f.mask[i * f.tkv + j] ? f.scale * dot : -HUGE_VAL;
      delta = std::max(delta, (static_cast<double>(f.d) + 1) * f.scale * mag);
      mx = std::max(mx, s[j]);
    }
    if (mx == -HUGE_VAL) continue;  // zeros
    double sum = 0.0;
    for (size_t j = 0; j < f.tkv; j++) {
      sum += std::exp(s[j] - mx);
      if (mx - s[j] < 88) args = std::max(args, mx - s[j]);
    }
    for (size_t c = 0; c < f.dv; c++) {
      double acc = 0.0;
      for (size_t j = 0; j < f.tkv; j++) acc += std::exp(s[j] - mx) * f.v.at(j, c);
      y[i * f.dv + c] = static_cast<float>(acc / sum);
    }
  }
  const double blocks = std::ceil(static_cast<double>(f.tkv) / static_cast<double>(f.block));
  const double eps = delta + 2 + args + blocks * (1 + args);
  *abs = static_cast<float>(vmax * kU * (2 * eps + 2 * static_cast<double>(f.tkv) + 3 * blocks + 2));
  return y;
}

// Attention of all query rows as the operator computes one block of them, with table t.
std::vector<float> run_flash(const KernelTable& t, const Flash& f) {
  const float ninf = -kInf;
  std::vector<float> s(f.tq * f.block), o(f.tq * f.dv, 0.0f), m(f.tq, ninf), l(f.tq, 0.0f), y(f.tq * f.dv);
  for (size_t c0 = 0; c0 < f.tkv; c0 += f.block) {
    const size_t cols = std::min(f.block, f.tkv - c0);
    t.attn_gemm(f.tq, cols, f.d, f.q.v.data(), f.q.ld, f.kt.v.data() + c0, f.kt.ld, s.data(), f.block, f.scale, false);
    for (size_t i = 0; i < f.tq; i++) {
      for (size_t j = 0; j < cols; j++) {
        if (!f.mask[i * f.tkv + c0 + j]) s[i * f.block + j] = ninf;
      }
    }
    t.attn_softmax(f.tq, cols, s.data(), f.block, m.data(), l.data(), o.data(), f.dv, f.dv);
    t.attn_gemm(f.tq, f.dv, cols, s.data(), f.block, f.v.v.data() + c0 * f.v.ld, f.v.ld, o.data(), f.dv, 1.0f, true);
  }
  t.attn_finish(f.tq, f.dv, o.data(), f.dv, l.data(), y.data(), f.dv);
  return y;
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const GemmCase& c : gemm_cases(rng)) gemm_case(check, isa, scalar, c);
  for (const SoftmaxCase& c : softmax_cases(rng)) softmax_case(check, isa, scalar, c);
  size_t i = 0;
  for (size_t dv : test_sizes()) {
    if (dv <= 255) finish_case(check, isa, scalar, rng, 1 + i % 6, dv, i % 3);
    i++;
  }
  for (const Flash& f : flash_cases(rng)) {
    float abs;
    const std::vector<float> def = definition_flash(f, &abs);
    const std::vector<float> want = run_flash(scalar, f), got = run_flash(isa, f);
    check.begin("composed", "tq=%zu tkv=%zu d=%zu dv=%zu block=%zu", f.tq, f.tkv, f.d, f.dv, f.block);
    // Against scalar: both within the definition's bound, so within twice it.
    check.compare(got.data(), want.data(), got.size(), Tolerance{0, 2 * abs});
    check.begin("composed vs double", "tq=%zu tkv=%zu d=%zu dv=%zu block=%zu", f.tq, f.tkv, f.d, f.dv, f.block);
    check.compare(got.data(), def.data(), got.size(), Tolerance{0, abs});
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const GemmCase& c : gemm_cases(rng)) {
    Guarded got(c.c0.v.size());
    run_gemm(scalar, c, &got);
    float abs;
    const std::vector<float> def = definition_gemm(c, &abs);
    check.begin("gemm", "against the definition: m=%zu n=%zu k=%zu", c.a.rows, c.b.cols, c.a.cols);
    check.compare(elements(got.data(), c.a.rows, c.b.cols, c.c0.ld).data(), def.data(), def.size(), Tolerance{0, abs});
  }
  for (const SoftmaxCase& c : softmax_cases(rng)) {
    const size_t rows = c.s.rows, cols = c.s.cols, dv = c.o.cols;
    Guarded s(c.s.v.size()), o(c.o.v.size());
    std::vector<float> m, l;
    run_softmax(scalar, c, &s, &o, &m, &l);
    SoftmaxCase def = c;
    definition_softmax(def);
    const SoftmaxTol tol = softmax_tol(c);
    check.begin("softmax", "against the definition: %s, rows=%zu cols=%zu", c.what, rows, cols);
    check.compare(elements(s.data(), rows, cols, c.s.ld).data(), elements(def.s.v.data(), rows, cols, c.s.ld).data(),
                  rows * cols, tol.s);
    check.compare(m.data(), def.m.data(), rows, kExact);
    check.compare(elements(o.data(), rows, dv, c.o.ld).data(), elements(def.o.v.data(), rows, dv, c.o.ld).data(),
                  rows * dv, tol.o);
    check.compare(l.data(), def.l.data(), rows, tol.l);
  }
  for (const Flash& f : flash_cases(rng)) {
    float abs;
    const std::vector<float> def = definition_flash(f, &abs);
    const std::vector<float> got = run_flash(scalar, f);
    check.begin("composed", "against the definition: tq=%zu tkv=%zu d=%zu dv=%zu", f.tq, f.tkv, f.d, f.dv);
    check.compare(got.data(), def.data(), got.size(), Tolerance{0, abs});
  }
}

const Register kRegister({"attention",
                          {field(&KernelTable::attn_gemm), field(&KernelTable::attn_softmax),
                           field(&KernelTable::attn_finish)},
                          &test,
                          &spec});

}  // namespace
}  // namespace os::test
