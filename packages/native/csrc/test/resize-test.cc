// Test adapter for resize (kernels/resize): resize_gather (nearest) and resize_lerp_row (horizontal
// linear) on every output width of the test sizes from input rows of several widths, with index
// tables that reach both ends of the row, and resize_blend (vertical linear) on every size, in place
// on either input; random and special values (NaN included: these kernels only copy, subtract,
// multiply and add), each ISA against the scalar table and against the definitions in double precision.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../kernels/resize/resize.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff
constexpr Tolerance kExact{0, 0.0f, true};

// Random values, or the special values scattered among them. `moderate` leaves out the magnitudes
// whose differences overflow in float32 but not in double (FLT_MAX - -FLT_MAX), where the definition
// and the kernel part ways by design.
std::vector<float> values(Rng& rng, size_t n, bool special, bool moderate) {
  std::vector<float> x(n);
  rng.fill(x.data(), n, -10, 10);
  if (!special) return x;
  std::vector<float> sp;
  for (float v : special_values(true)) {
    if (!moderate || !std::isfinite(v) || std::fabs(v) <= 100) sp.push_back(v);
  }
  for (size_t k = 0; k < std::max<size_t>(1, n / 3); k++) x[rng.below(n)] = sp[rng.below(sp.size())];
  return x;
}

struct RowCase {
  size_t in_w, n;
  bool special;
  std::vector<float> x;
  std::vector<int32_t> i0, i1;
  std::vector<float> w;
};

// Index tables as the operator builds them (i1 = min(i0 + 1, in_w - 1), weights in [0, 1)), with the
// first and last input columns among them so a read past either end crashes.
std::vector<RowCase> row_cases(Rng& rng, bool moderate) {
  std::vector<RowCase> list;
  size_t i = 0;
  for (size_t n : test_sizes()) {
    for (size_t in_w : {size_t{1}, size_t{2}, n / 2 + 1, 2 * n + 3}) {
      const bool special = i++ % 3 == 2;
      RowCase c{in_w, n, special, values(rng, in_w, special, moderate), {}, {}, {}};
      for (size_t j = 0; j < n; j++) {
        const auto a = static_cast<int32_t>(j == 0 ? in_w - 1 : j == 1 ? 0 : rng.below(in_w));
        c.i0.push_back(a);
        c.i1.push_back(std::min<int32_t>(a + 1, static_cast<int32_t>(in_w) - 1));
        c.w.push_back(j % 5 == 0 ? 0.0f : rng.uniform(0, 1));
      }
      list.push_back(std::move(c));
    }
  }
  return list;
}

// y = a + w (b - a) in double precision, and its bound: the kernels round b - a (by 2^-24 |b - a|,
// scaled by w < 1) and the fma (2^-24 |y|), the definition's float once more (2^-24 |y|);
// |y| <= |a| + |b - a|: 3 |b - a| + 2 |a|, rounded up for second-order terms.
void definition_lerp(size_t n, const float* a, const float* b, const float* w, float* y, float* abs) {
  double diff = 0.0, amax = 0.0;
  for (size_t j = 0; j < n; j++) {
    const double d = static_cast<double>(b[j]) - a[j];
    y[j] = static_cast<float>(a[j] + w[j] * d);
    if (std::isfinite(d)) diff = std::max(diff, std::fabs(d));
    if (std::isfinite(a[j])) amax = std::max(amax, std::fabs(static_cast<double>(a[j])));
  }
  *abs = static_cast<float>(kU * (4 * diff + 3 * amax));
}

// The row's values at i0 and i1, for the definitions.
void taps(const RowCase& c, std::vector<float>* a, std::vector<float>* b) {
  for (size_t j = 0; j < c.n; j++) {
    a->push_back(c.x[c.i0[j]]);
    b->push_back(c.x[c.i1[j]]);
  }
}

// Guarded, read-only copies of a case's inputs.
struct RowInputs {
  Guarded x, i0, i1, w;
  explicit RowInputs(const RowCase& c)
      : x(c.x.data(), c.in_w), i0(c.n), i1(c.n), w(c.w.data(), c.n) {
    std::memcpy(i0.data(), c.i0.data(), c.n * sizeof(int32_t));
    std::memcpy(i1.data(), c.i1.data(), c.n * sizeof(int32_t));
    x.protect();
    i0.protect();
    i1.protect();
    w.protect();
  }
  const int32_t* idx0() const { return reinterpret_cast<const int32_t*>(i0.data()); }
  const int32_t* idx1() const { return reinterpret_cast<const int32_t*>(i1.data()); }
};

// `with_definition`: also against the definition (not for the largest special values, see values()).
void row_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const RowCase& c, bool with_definition) {
  const RowInputs in(c);
  const char* what = c.special ? "special" : "random";
  std::vector<float> a, b;
  taps(c, &a, &b);
  {
    Guarded want(c.n), y(c.n);
    check.begin("gather", "%s, n=%zu in_w=%zu", what, c.n, c.in_w);
    scalar.resize_gather(c.n, in.x.data(), in.idx0(), want.data());
    isa.resize_gather(c.n, in.x.data(), in.idx0(), y.data());
    check.compare(y.data(), want.data(), c.n, kExact);
    check.expect(y.guard_ok(), "wrote before its output");
    check.expect(std::memcmp(y.data(), a.data(), c.n * sizeof(float)) == 0, "not the indexed values, bit for bit");
  }
  Guarded want(c.n), y(c.n);
  std::vector<float> def(c.n);
  float abs;
  definition_lerp(c.n, a.data(), b.data(), c.w.data(), def.data(), &abs);
  check.begin("lerp row", "%s, n=%zu in_w=%zu", what, c.n, c.in_w);
  scalar.resize_lerp_row(c.n, in.x.data(), in.idx0(), in.idx1(), in.w.data(), want.data());
  isa.resize_lerp_row(c.n, in.x.data(), in.idx0(), in.idx1(), in.w.data(), y.data());
  // One subtraction and one explicit fma per element on every table: bit for bit.
  check.compare(y.data(), want.data(), c.n, kExact);
  check.expect(y.guard_ok(), "wrote before its output");
  if (!with_definition) return;
  check.begin("lerp row vs double", "%s, n=%zu in_w=%zu", what, c.n, c.in_w);
  check.compare(y.data(), def.data(), c.n, Tolerance{0, abs});
}

struct BlendCase {
  std::vector<float> a, b;
  float t;
  bool special;
};

std::vector<BlendCase> blend_cases(Rng& rng, bool moderate) {
  std::vector<BlendCase> list;
  size_t i = 0;
  for (size_t n : test_sizes()) {
    for (bool special : {false, true}) {
      const float t = i % 7 == 0 ? 0.0f : rng.uniform(0, 1);
      list.push_back(BlendCase{values(rng, n, special, moderate), values(rng, n, special, moderate), t, special});
      i++;
    }
  }
  return list;
}

void blend_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const BlendCase& c,
                bool with_definition) {
  const size_t n = c.a.size();
  Guarded a(c.a.data(), n), b(c.b.data(), n), want(n), y(n);
  a.protect();
  b.protect();
  const std::vector<float> t(n, c.t);
  std::vector<float> def(n);
  float abs;
  definition_lerp(n, c.a.data(), c.b.data(), t.data(), def.data(), &abs);
  const char* what = c.special ? "special" : "random";
  check.begin("blend", "%s, n=%zu t=%g", what, n, static_cast<double>(c.t));
  scalar.resize_blend(n, a.data(), b.data(), c.t, want.data());
  isa.resize_blend(n, a.data(), b.data(), c.t, y.data());
  // One subtraction and one multiply-add per element on every ISA: bit for bit where it is fused.
  const Tolerance tol = same_operations(isa, kExact, Tolerance{0, abs});
  check.compare(y.data(), want.data(), n, tol);
  check.expect(y.guard_ok(), "wrote before its output");
  Guarded za(c.a.data(), n), zb(c.b.data(), n);
  check.begin("blend in place", "%s, n=%zu, y = a", what, n);
  isa.resize_blend(n, za.data(), b.data(), c.t, za.data());
  check.compare(za.data(), want.data(), n, tol);
  check.begin("blend in place", "%s, n=%zu, y = b", what, n);
  isa.resize_blend(n, a.data(), zb.data(), c.t, zb.data());
  check.compare(zb.data(), want.data(), n, tol);
  if (!with_definition) return;
  check.begin("blend vs double", "%s, n=%zu t=%g", what, n, static_cast<double>(c.t));
  check.compare(y.data(), def.data(), n, Tolerance{0, abs});
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const RowCase& c : row_cases(rng, true)) row_case(check, isa, scalar, c, true);
  for (const BlendCase& c : blend_cases(rng, true)) blend_case(check, isa, scalar, c, true);
  // Every special value, the largest included: against scalar only.
  Rng all(check.seed() + 1);
  for (const RowCase& c : row_cases(all, false)) {
    if (c.special) row_case(check, isa, scalar, c, false);
  }
  for (const BlendCase& c : blend_cases(all, false)) {
    if (c.special) blend_case(check, isa, scalar, c, false);
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const RowCase& c : row_cases(rng, true)) {
    std::vector<float> a, b, got(c.n), def(c.n);
    taps(c, &a, &b);
    float abs;
    definition_lerp(c.n, a.data(), b.data(), c.w.data(), def.data(), &abs);
    check.begin("gather", "against the definition: n=%zu in_w=%zu", c.n, c.in_w);
    scalar.resize_gather(c.n, c.x.data(), c.i0.data(), got.data());
    check.compare(got.data(), a.data(), c.n, kExact);
    check.begin("lerp row", "against the definition: n=%zu in_w=%zu", c.n, c.in_w);
    scalar.resize_lerp_row(c.n, c.x.data(), c.i0.data(), c.i1.data(), c.w.data(), got.data());
    check.compare(got.data(), def.data(), c.n, Tolerance{0, abs});
  }
  for (const BlendCase& c : blend_cases(rng, true)) {
    const size_t n = c.a.size();
    const std::vector<float> t(n, c.t);
    std::vector<float> got(n), def(n);
    float abs;
    definition_lerp(n, c.a.data(), c.b.data(), t.data(), def.data(), &abs);
    check.begin("blend", "against the definition: n=%zu t=%g", n, static_cast<double>(c.t));
    scalar.resize_blend(n, c.a.data(), c.b.data(), c.t, got.data());
    check.compare(got.data(), def.data(), n, Tolerance{0, abs});
  }
}

const Register kRegister({"resize",
                          {field(&KernelTable::resize_gather), field(&KernelTable::resize_lerp_row),
                           field(&KernelTable::resize_blend)},
                          &test,
                          &spec});

}  // namespace
}  // namespace os::test
