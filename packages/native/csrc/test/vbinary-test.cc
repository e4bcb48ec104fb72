// Test adapter for vbinary (kernels/vbinary): every BinaryOp in the four stride modes (vector or
// broadcast scalar on each side) on random inputs of every test size, in place on either input, and on
// every pair of special values; the scalar table against the definitions.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../kernels/vbinary/vbinary.h"
#include "harness.h"

namespace os::test {
namespace {

struct Op {
  BinaryOp op;
  const char* name;
  Tolerance tol;
  // NaN in gives NaN out on every ISA. Not for max/min: when one operand is NaN, x86 returns the
  // second operand, the scalar code the first and NEON the NaN (and x86 returns the second of +0 and
  // -0, hence no signed zeros).
  bool nan;
  double (*spec)(double a, double b);
};

constexpr Tolerance kExact{};
constexpr Tolerance kExactSigned{0, 0.0f, true};

const Op kOps[] = {
    {BinaryOp::add, "add", kExactSigned, true, [](double a, double b) { return a + b; }},
    {BinaryOp::sub, "sub", kExactSigned, true, [](double a, double b) { return a - b; }},
    {BinaryOp::mul, "mul", kExactSigned, true, [](double a, double b) { return a * b; }},
    {BinaryOp::div, "div", kExactSigned, true, [](double a, double b) { return a / b; }},
    {BinaryOp::max, "max", kExact, false, [](double a, double b) { return std::max(a, b); }},
    {BinaryOp::min, "min", kExact, false, [](double a, double b) { return std::min(a, b); }},
};

// Strides of a and b: 1 walks a vector, 0 broadcasts its first element.
const size_t kStrides[][2] = {{1, 1}, {1, 0}, {0, 1}, {0, 0}};

// Runs one case with the ISA table, out of place and in place over each vector input, against scalar.
void run_case(Check& check, const Op& o, const KernelTable& isa, const KernelTable& scalar, const float* av,
              size_t sa, const float* bv, size_t sb, size_t n, const char* what) {
  const size_t na = sa ? n : 1, nb = sb ? n : 1;
  Guarded a(av, na), b(bv, nb), want(n), y(n);
  a.protect();
  b.protect();
  check.begin(o.name, "%s, n=%zu, strides %zu %zu", what, n, sa, sb);
  scalar.vbinary(o.op, n, a.data(), sa, b.data(), sb, want.data());
  isa.vbinary(o.op, n, a.data(), sa, b.data(), sb, y.data());
  check.compare(y.data(), want.data(), n, o.tol);
  check.expect(y.guard_ok(), "wrote before its output");
  if (sa) {
    Guarded z(av, n);
    check.begin(o.name, "%s, n=%zu, strides %zu %zu, y = a", what, n, sa, sb);
    isa.vbinary(o.op, n, z.data(), sa, b.data(), sb, z.data());
    check.compare(z.data(), want.data(), n, o.tol);
  }
  if (sb) {
    Guarded z(bv, n);
    check.begin(o.name, "%s, n=%zu, strides %zu %zu, y = b", what, n, sa, sb);
    isa.vbinary(o.op, n, a.data(), sa, z.data(), sb, z.data());
    check.compare(z.data(), want.data(), n, o.tol);
  }
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  std::vector<float> a, b;
  for (const Op& o : kOps) {
    for (const auto& s : kStrides) {
      for (size_t n : test_sizes()) {
        a.resize(n);
        b.resize(n);
        rng.fill(a.data(), n, -10, 10);
        rng.fill(b.data(), n, -10, 10);
        run_case(check, o, isa, scalar, a.data(), s[0], b.data(), s[1], n, "random");
      }
    }
    // Every pair of special values, both vectors, each pair at several lane offsets.
    const std::vector<float> special = special_values(o.nan);
    const size_t k = special.size();
    for (size_t shift = 0; shift < 4; shift++) {
      a.assign(shift, 1.0f);
      b.assign(shift, 2.0f);
      for (float x : special) {
        for (float z : special) {
          a.push_back(x);
          b.push_back(z);
        }
      }
      run_case(check, o, isa, scalar, a.data(), 1, b.data(), 1, a.size(), "special pairs");
    }
    // A special scalar broadcast against the special vector, on either side.
    for (float x : special) {
      run_case(check, o, isa, scalar, &x, 0, special.data(), 1, k, "special scalar a");
      run_case(check, o, isa, scalar, special.data(), 1, &x, 0, k, "special scalar b");
    }
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  const std::vector<float> special = special_values(true);
  for (const Op& o : kOps) {
    std::vector<float> a(4096), b(4096);
    rng.fill(a.data(), a.size(), -10, 10);
    rng.fill(b.data(), b.size(), -10, 10);
    for (float x : special) {
      for (float z : special) {
        if (o.nan || !(std::isnan(x) || std::isnan(z))) {
          a.push_back(x);
          b.push_back(z);
        }
      }
    }
    std::vector<float> want(a.size()), got(a.size());
    for (size_t i = 0; i < a.size(); i++) want[i] = static_cast<float>(o.spec(a[i], b[i]));
    check.begin(o.name, "against the definition");
    scalar.vbinary(o.op, a.size(), a.data(), 1, b.data(), 1, got.data());
    check.compare(got.data(), want.data(), a.size(), o.tol);
  }
}

const Register kRegister({"vbinary", {field(&KernelTable::vbinary)}, &test, &spec});

}  // namespace
}  // namespace os::test
