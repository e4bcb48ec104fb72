// Test adapter for norm (kernels/norm), the building blocks of Layer/RMS/Group/Instance/Batch
// normalisation: norm_sums (the two-pass statistics, on every test size and on runs of many of the
// kernel's float chunks; on values whose float partial sums are exact, where every ISA must equal
// double precision exactly, on full-precision values with and without a center, and NaN/inf
// propagation), norm_affine and norm_row (every size, in place, with and without bias, special values
// in every lane), each ISA against the scalar table and against the definitions in double precision.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/norm/norm.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr Tolerance kExact{0, 0.0f, true};

// Sizes for the statistics: the test sizes and runs across many float chunks (256 vectors each).
std::vector<size_t> sums_sizes() {
  std::vector<size_t> s = test_sizes();
  s.push_back(10007);
  s.push_back(70001);
  return s;
}

// Roundings each value's term can go through in norm_sums, in units of 2^-24 of the sum of the terms'
// magnitudes: x - center in float (1; d * d in the fma doubles it for the squares: 2), at most 129
// values per float lane partial (a chunk of 256 vectors in two accumulators, plus one vector: 128),
// the two accumulators' sum and the reduction across at most 16 lanes (5); the chunks add in double.
// 2 more for comparing the results after rounding both to float32.
constexpr double kSumRoundings = 2 + 128 + 5 + 2;

struct Sums {
  double s, q;
};

Sums definition_sums(size_t n, const float* x, float center) {
  Sums r{0.0, 0.0};
  for (size_t i = 0; i < n; i++) {
    const double d = static_cast<double>(x[i]) - center;
    r.s += d;
    r.q += d * d;
  }
  return r;
}

// The bounds of both sums: kSumRoundings 2^-24 of sum |d| and of sum d^2.
Sums sums_bound(size_t n, const float* x, float center) {
  Sums b{0.0, 0.0};
  for (size_t i = 0; i < n; i++) {
    const double d = std::fabs(static_cast<double>(x[i]) - center);
    b.s += d;
    b.q += d * d;
  }
  return Sums{kSumRoundings * kU * b.s, kSumRoundings * kU * b.q};
}

// Compares two sums as float32 within `abs`, or exactly (what float32 drops included) when `exact`.
void compare_sum(Check& check, double got, double want, double abs, bool exact) {
  const float g[2] = {static_cast<float>(got), static_cast<float>(got - static_cast<float>(got))};
  const float w[2] = {static_cast<float>(want), static_cast<float>(want - static_cast<float>(want))};
  check.compare(g, w, exact ? 2 : 1, Tolerance{0, static_cast<float>(abs)});
}

enum class Values { full, exact, special };

struct SumsCase {
  std::vector<float> x;
  float center;
  Values kind;
};

// Values for norm_sums: full precision around an offset (a large mean and a small spread, where the
// two-pass variance matters), centered on their float mean or not; multiples of 1/16 in [-2, 2] with
// a center on the same grid, whose every float partial sum (at most 4096 terms of at most 4 in
// magnitude, squares on a 1/256 grid) is exact; and NaN or infinities among them.
std::vector<SumsCase> sums_cases(Rng& rng) {
  std::vector<SumsCase> list;
  size_t i = 0;
  for (size_t n : sums_sizes()) {
    SumsCase full{std::vector<float>(n), 0.0f, Values::full};
    const float offset = i % 2 ? 100.0f : 0.0f;
    rng.fill(full.x.data(), n, offset - 10, offset + 10);
    if (i % 3 != 0) full.center = static_cast<float>(definition_sums(n, full.x.data(), 0.0f).s / static_cast<double>(n));
    list.push_back(std::move(full));
    SumsCase exact{std::vector<float>(n), static_cast<float>(static_cast<int>(rng.below(33)) - 16) / 16, Values::exact};
    for (float& v : exact.x) v = static_cast<float>(static_cast<int>(rng.below(65)) - 32) / 16;
    exact.center = i % 2 ? exact.center : 0.0f;
    list.push_back(std::move(exact));
    if (n <= 64) {
      // NaN, +inf, and both infinities (sum NaN, squares +inf) at a random place.
      const float specials[][2] = {{kNaN, 0.0f}, {kInf, 0.0f}, {kInf, -kInf}, {-kInf, 0.0f}};
      for (const auto& sp : specials) {
        SumsCase s{std::vector<float>(n), 0.5f, Values::special};
        rng.fill(s.x.data(), n, -10, 10);
        s.x[rng.below(n)] = sp[0];
        if (sp[1] != 0.0f) s.x[rng.below(n)] = sp[1];
        list.push_back(std::move(s));
      }
    }
    i++;
  }
  return list;
}

const char* kind_name(Values kind) {
  return kind == Values::full ? "full precision" : kind == Values::exact ? "exact sums" : "special";
}

void sums_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const SumsCase& c) {
  const size_t n = c.x.size();
  Guarded x(c.x.data(), n);
  x.protect();
  Sums got{}, want{};
  scalar.norm_sums(n, x.data(), c.center, &want.s, &want.q);
  isa.norm_sums(n, x.data(), c.center, &got.s, &got.q);
  const Sums def = definition_sums(n, c.x.data(), c.center);
  const Sums bound = sums_bound(n, c.x.data(), c.center);
  const bool exact = c.kind == Values::exact;
  // Against scalar: both within the bound of the definition, so within twice it (exact sums: equal).
  check.begin("sum", "%s, n=%zu center=%g", kind_name(c.kind), n, static_cast<double>(c.center));
  compare_sum(check, got.s, want.s, 2 * bound.s, exact);
  check.begin("sumsq", "%s, n=%zu center=%g", kind_name(c.kind), n, static_cast<double>(c.center));
  compare_sum(check, got.q, want.q, 2 * bound.q, exact);
  check.begin("sum vs double", "%s, n=%zu center=%g", kind_name(c.kind), n, static_cast<double>(c.center));
  compare_sum(check, got.s, def.s, bound.s, exact);
  check.begin("sumsq vs double", "%s, n=%zu center=%g", kind_name(c.kind), n, static_cast<double>(c.center));
  compare_sum(check, got.q, def.q, bound.q, exact);
}

// Inputs for the normalising maps: random, then the special values (NaN included: these kernels only
// subtract, multiply and add, which propagate it on every ISA) along a random prefix.
std::vector<std::vector<float>> map_inputs(Rng& rng) {
  std::vector<std::vector<float>> list;
  for (size_t n : test_sizes()) {
    std::vector<float> x(n);
    rng.fill(x.data(), n, -10, 10);
    list.push_back(std::move(x));
  }
  // Only moderate magnitudes besides +-inf and NaN: the definitions' bounds scale with the largest
  // finite input, and 1e30 next to 1 would make them meaningless for the rest.
  std::vector<float> special;
  for (float v : special_values(true)) {
    if (!std::isfinite(v) || std::fabs(v) <= 100) special.push_back(v);
  }
  for (size_t shift = 0; shift <= 16; shift++) {
    std::vector<float> x(shift);
    rng.fill(x.data(), shift, -10, 10);
    x.insert(x.end(), special.begin(), special.end());
    list.push_back(std::move(x));
  }
  return list;
}

struct Affine {
  float mean, k, shift;
};

Affine affine_params(Rng& rng) { return Affine{rng.uniform(-2, 2), rng.uniform(-3, 3), rng.uniform(-1, 1)}; }

// y = (x - mean) k + shift in double precision, and its bound: x - mean rounds in float (2^-24 |d k|
// once scaled), the fma once (2^-24 |y|), the definition's float once more (2^-24 |y|), and
// |y| <= |d k| + |shift|: 3 |d k| + 2 |shift|, rounded up for the second-order terms.
void definition_affine(const std::vector<float>& x, const Affine& a, float* y, float* abs) {
  double dk = 0.0;
  for (size_t i = 0; i < x.size(); i++) {
    const double d = (static_cast<double>(x[i]) - a.mean) * a.k;
    y[i] = static_cast<float>(d + a.shift);
    if (std::isfinite(d)) dk = std::max(dk, std::fabs(d));
  }
  *abs = static_cast<float>(kU * (4 * dk + 3 * std::fabs(a.shift)));
}

void affine_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<float>& values,
                 const Affine& a) {
  const size_t n = values.size();
  Guarded x(values.data(), n), want(n), y(n), z(values.data(), n);
  x.protect();
  std::vector<float> def(n);
  float abs;
  definition_affine(values, a, def.data(), &abs);
  check.begin("affine", "n=%zu mean=%g k=%g shift=%g", n, static_cast<double>(a.mean), static_cast<double>(a.k),
              static_cast<double>(a.shift));
  scalar.norm_affine(n, x.data(), want.data(), a.mean, a.k, a.shift);
  isa.norm_affine(n, x.data(), y.data(), a.mean, a.k, a.shift);
  // One subtraction and one multiply-add per element on every ISA: bit for bit where it is fused.
  const Tolerance tol = same_operations(isa, kExact, Tolerance{0, abs});
  check.compare(y.data(), want.data(), n, tol);
  check.expect(y.guard_ok(), "wrote before its output");
  check.begin("affine in place", "n=%zu", n);
  isa.norm_affine(n, z.data(), z.data(), a.mean, a.k, a.shift);
  check.compare(z.data(), want.data(), n, tol);
  check.begin("affine vs double", "n=%zu", n);
  check.compare(y.data(), def.data(), n, Tolerance{0, abs});
}

struct RowParams {
  float mean, inv;
  std::vector<float> scale, bias;  // bias empty: none
};

RowParams row_params(Rng& rng, size_t n, bool with_bias) {
  RowParams p{rng.uniform(-2, 2), rng.uniform(0.1f, 3), std::vector<float>(n), {}};
  rng.fill(p.scale.data(), n, -2, 2);
  if (with_bias) {
    p.bias.resize(n);
    rng.fill(p.bias.data(), n, -1, 1);
  }
  return p;
}

// y = (x - mean) inv scale + bias in double precision, and its bound: the kernel rounds x - mean,
// the product with inv and the fma (or product with scale), 2^-24 (2 |t scale| + |y|); the
// definition's float once more, 2^-24 |y|; |y| <= |t scale| + |bias|: 4 |t scale| + 2 |bias|,
// rounded up for the second-order terms.
void definition_row(const std::vector<float>& x, const RowParams& p, float* y, float* abs) {
  double ts = 0.0, b = 0.0;
  for (size_t i = 0; i < x.size(); i++) {
    const double t = (static_cast<double>(x[i]) - p.mean) * p.inv * p.scale[i];
    const double bias = p.bias.empty() ? 0.0 : p.bias[i];
    y[i] = static_cast<float>(t + bias);
    if (std::isfinite(t)) ts = std::max(ts, std::fabs(t));
    b = std::max(b, std::fabs(bias));
  }
  *abs = static_cast<float>(kU * (5 * ts + 3 * b));
}

void row_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<float>& values,
              const RowParams& p) {
  const size_t n = values.size();
  const bool has_bias = !p.bias.empty();
  Guarded x(values.data(), n), scale(p.scale.data(), n), bias(has_bias ? p.bias.data() : values.data(), n);
  Guarded want(n), y(n), z(values.data(), n);
  x.protect();
  scale.protect();
  bias.protect();
  const float* b = has_bias ? bias.data() : nullptr;
  std::vector<float> def(n);
  float abs;
  definition_row(values, p, def.data(), &abs);
  const char* group = has_bias ? "row" : "row no bias";
  check.begin(group, "n=%zu mean=%g inv=%g", n, static_cast<double>(p.mean), static_cast<double>(p.inv));
  scalar.norm_row(n, x.data(), want.data(), p.mean, p.inv, scale.data(), b);
  isa.norm_row(n, x.data(), y.data(), p.mean, p.inv, scale.data(), b);
  // The same subtraction, product and multiply-add (or product) per element on every ISA: bit for bit
  // where it is fused.
  const Tolerance tol = same_operations(isa, kExact, Tolerance{0, abs});
  check.compare(y.data(), want.data(), n, tol);
  check.expect(y.guard_ok(), "wrote before its output");
  check.begin(has_bias ? "row in place" : "row no bias in place", "n=%zu", n);
  isa.norm_row(n, z.data(), z.data(), p.mean, p.inv, scale.data(), b);
  check.compare(z.data(), want.data(), n, tol);
  check.begin(has_bias ? "row vs double" : "row no bias vs double", "n=%zu", n);
  check.compare(y.data(), def.data(), n, Tolerance{0, abs});
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const SumsCase& c : sums_cases(rng)) sums_case(check, isa, scalar, c);
  size_t i = 0;
  for (const std::vector<float>& x : map_inputs(rng)) {
    affine_case(check, isa, scalar, x, affine_params(rng));
    row_case(check, isa, scalar, x, row_params(rng, x.size(), i++ % 3 != 0));
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const SumsCase& c : sums_cases(rng)) {
    const size_t n = c.x.size();
    Sums got{};
    scalar.norm_sums(n, c.x.data(), c.center, &got.s, &got.q);
    const Sums def = definition_sums(n, c.x.data(), c.center);
    const Sums bound = sums_bound(n, c.x.data(), c.center);
    check.begin("sum", "against the definition: %s, n=%zu", kind_name(c.kind), n);
    compare_sum(check, got.s, def.s, bound.s, c.kind == Values::exact);
    check.begin("sumsq", "against the definition: %s, n=%zu", kind_name(c.kind), n);
    compare_sum(check, got.q, def.q, bound.q, c.kind == Values::exact);
  }
  size_t i = 0;
  for (const std::vector<float>& x : map_inputs(rng)) {
    const size_t n = x.size();
    std::vector<float> got(n), def(n);
    float abs;
    const Affine a = affine_params(rng);
    definition_affine(x, a, def.data(), &abs);
    check.begin("affine", "against the definition: n=%zu", n);
    scalar.norm_affine(n, x.data(), got.data(), a.mean, a.k, a.shift);
    check.compare(got.data(), def.data(), n, Tolerance{0, abs});
    const RowParams p = row_params(rng, n, i++ % 3 != 0);
    definition_row(x, p, def.data(), &abs);
    check.begin(p.bias.empty() ? "row no bias" : "row", "against the definition: n=%zu", n);
    scalar.norm_row(n, x.data(), got.data(), p.mean, p.inv, p.scale.data(), p.bias.empty() ? nullptr : p.bias.data());
    check.compare(got.data(), def.data(), n, Tolerance{0, abs});
  }
}

const Register kRegister({"norm",
                          {field(&KernelTable::norm_sums), field(&KernelTable::norm_affine), field(&KernelTable::norm_row)},
                          &test,
                          &spec});

}  // namespace
}  // namespace os::test
