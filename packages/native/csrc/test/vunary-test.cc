// Test adapter for vunary (kernels/vunary): every UnaryOp on random inputs of every test size, in place,
// and on special values in every lane; the scalar table against the definitions in double precision.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../kernels/vunary/vunary.h"
#include "harness.h"

namespace os::test {
namespace {

struct Op {
  UnaryOp op;
  const char* name;
  float alpha, beta;  // the operation's parameters, where it has some
  float lo, hi;       // random inputs
  Tolerance tol;      // an ISA against the scalar table
  // NaN in gives NaN out on every ISA. Not for operations built on min/max (relu, clip, hard_*, and
  // exp's input clamp, so everything exp-based): x86's maxps/minps return the second operand when one
  // is NaN, NEON's fmax/fmin and the scalar code return the NaN, so NaN handling differs by ISA.
  bool nan;
  double (*spec)(double x, double alpha, double beta);  // the definition
  Tolerance spec_tol;  // the scalar table against the definition
  float spec_lo, spec_hi;  // where the definition is followed (exp clamps its input)
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

// exp-based functions: a few ulp (math.h); exact operations: bit for bit, the sign of zero included
// where every ISA defines it.
constexpr Tolerance kExact{};
constexpr Tolerance kExactSigned{0, 0.0f, true};
constexpr Tolerance kExpUlps{4};

const Op kOps[] = {
    {UnaryOp::relu, "relu", 0, 0, -10, 10, kExact, false,
     [](double x, double, double) { return std::max(x, 0.0); }, kExact, -1e30f, 1e30f},
    {UnaryOp::sigmoid, "sigmoid", 0, 0, -40, 40, kExpUlps, false,
     [](double x, double, double) { return sigmoid(x); }, {4, 1e-37f}, -100, 100},
    {UnaryOp::silu, "silu", 0, 0, -40, 40, kExpUlps, false,
     [](double x, double, double) { return x * sigmoid(x); }, {4, 1e-34f}, -100, 100},
    {UnaryOp::tanh, "tanh", 0, 0, -6, 6, kExpUlps, false,
     [](double x, double, double) { return std::tanh(x); }, {8, 0.0f}, -20, 20},
    {UnaryOp::exp, "exp", 0, 0, -100, 100, kExpUlps, false,
     [](double x, double, double) { return std::exp(x); }, {2, 0.0f}, -87.3f, 88.3f},
    {UnaryOp::neg, "neg", 0, 0, -1e3f, 1e3f, kExactSigned, true,
     [](double x, double, double) { return -x; }, kExactSigned, -1e30f, 1e30f},
    {UnaryOp::abs, "abs", 0, 0, -1e3f, 1e3f, kExactSigned, true,
     [](double x, double, double) { return std::fabs(x); }, kExactSigned, -1e30f, 1e30f},
    {UnaryOp::sqrt, "sqrt", 0, 0, 0, 1e4f, kExact, true,
     [](double x, double, double) { return std::sqrt(x); }, kExact, 0, 1e30f},
    {UnaryOp::leaky_relu, "leaky_relu", 0.1f, 0, -10, 10, kExact, true,
     [](double x, double a, double) { return x < 0 ? a * x : x; }, kExact, -1e30f, 1e30f},
    {UnaryOp::clip, "clip", -1.5f, 2.5f, -5, 5, kExact, false,
     [](double x, double a, double b) { return std::min(std::max(x, a), b); }, kExact, -1e30f, 1e30f},
    {UnaryOp::hard_sigmoid, "hard_sigmoid", 0.2f, 0.5f, -6, 6, kExact, false,
     [](double x, double a, double b) { return clamp01(a * x + b); }, {1, 0.0f}, -1e30f, 1e30f},
    {UnaryOp::hard_swish, "hard_swish", 0, 0, -6, 6, kExact, false,
     [](double x, double, double) { return x * clamp01(x / 6 + 0.5); }, {2, 5e-7f}, -1e30f, 1e30f},
    {UnaryOp::reciprocal, "reciprocal", 0, 0, -10, 10, kExact, true,
     [](double x, double, double) { return 1.0 / x; }, kExact, -1e30f, 1e30f},
    // A rational approximation: ISAs differ only by FMA contraction (a few ulp); against std::erf
    // 1.5e-7 absolute (the approximation's error plus rounding) or 8 ulp near 0. min/max clamp: no NaN.
    {UnaryOp::erf, "erf", 0, 0, -5, 5, kExpUlps, false,
     [](double x, double, double) { return std::erf(x); }, {8, 1.5e-7f}, -1e30f, 1e30f},
    // Built on erf: where 1 + erf(x / sqrt 2) cancels, erf's absolute error scales by |x| / 2. ISAs
    // apart by FMA contraction (4 ulp of 1) for |x| up to 10 here; against the definition, erf is
    // within 3e-7 (2.98e-7 measured) and 1 + erf is 0 in float32 below x = -5.7, so at most
    // 2.85 * 3e-7 plus rounding.
    {UnaryOp::gelu, "gelu", 0, 0, -10, 10, {4, 2.5e-6f}, false,
     [](double x, double, double) { return 0.5 * x * (1 + std::erf(x * M_SQRT1_2)); }, {8, 1e-6f}, -1e30f, 1e30f},
};

// An ISA without fused multiply-add (SIMD128) against scalar. hard_sigmoid rounds a x before adding b:
// where the result is not clamped, |a x| <= 1.5, so 2^-24 (1.5 + 1) apart. hard_swish does so for
// t = x / 6 + 1/2 (|x| <= 3 unclamped: 2^-24 (0.5 + 1)), scaled by |x| <= 3, plus the product's
// rounding: 2^-24 (4.5 + 3). erf's rational approximation rounds each step apart: within twice its
// bound against std::erf. The others round alike or are exp-based (already a few ulp apart).
Tolerance unfused_tol(const Op& o) {
  switch (o.op) {
    case UnaryOp::hard_sigmoid: return Tolerance{0, 2.5f * 0x1p-24f};
    case UnaryOp::hard_swish: return Tolerance{0, 7.5f * 0x1p-24f};
    case UnaryOp::erf: return Tolerance{2 * o.spec_tol.ulps, 2 * o.spec_tol.abs};
    default: return o.tol;
  }
}

// Runs `op` on x with the ISA table, out of place and in place, and compares with the scalar table.
void run_case(Check& check, const Op& o, const KernelTable& isa, const KernelTable& scalar, const float* values,
              size_t n, const char* what) {
  Guarded x(values, n);
  x.protect();
  Guarded want(n), y(n), z(values, n);
  check.begin(o.name, "%s, n=%zu", what, n);
  scalar.vunary(o.op, n, x.data(), want.data(), o.alpha, o.beta);
  isa.vunary(o.op, n, x.data(), y.data(), o.alpha, o.beta);
  const Tolerance tol = fused_multiply_add(isa) ? o.tol : unfused_tol(o);
  check.compare(y.data(), want.data(), n, tol);
  check.expect(y.guard_ok(), "wrote before its output");
  check.begin(o.name, "%s, n=%zu, in place", what, n);
  isa.vunary(o.op, n, z.data(), z.data(), o.alpha, o.beta);
  check.compare(z.data(), want.data(), n, tol);
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  std::vector<float> values;
  for (const Op& o : kOps) {
    for (size_t n : test_sizes()) {
      values.resize(n);
      rng.fill(values.data(), n, o.lo, o.hi);
      run_case(check, o, isa, scalar, values.data(), n, "random");
      // Small inputs: where tanh switches from its polynomial, and sigmoid/exp are near 1.
      rng.fill(values.data(), n, -1, 1);
      run_case(check, o, isa, scalar, values.data(), n, "random in [-1, 1]");
    }
    // Every special value in every lane and in the tails: shift them along a random prefix.
    const std::vector<float> special = special_values(o.nan);
    for (size_t shift = 0; shift <= 16; shift++) {
      values.resize(shift);
      rng.fill(values.data(), shift, o.lo, o.hi);
      values.insert(values.end(), special.begin(), special.end());
      run_case(check, o, isa, scalar, values.data(), values.size(), "special values");
    }
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Op& o : kOps) {
    std::vector<float> x(4096);
    rng.fill(x.data(), x.size(), std::max(o.lo, o.spec_lo), std::min(o.hi, o.spec_hi));
    for (float v : special_values(o.nan)) {
      if (std::isnan(v) || (v >= o.spec_lo && v <= o.spec_hi)) x.push_back(v);
    }
    std::vector<float> want(x.size()), got(x.size());
    for (size_t i = 0; i < x.size(); i++) want[i] = static_cast<float>(o.spec(x[i], o.alpha, o.beta));
    check.begin(o.name, "against the definition, x in [%g, %g]", static_cast<double>(o.spec_lo),
                static_cast<double>(o.spec_hi));
    scalar.vunary(o.op, x.size(), x.data(), got.data(), o.alpha, o.beta);
    check.compare(got.data(), want.data(), x.size(), o.spec_tol);
  }
}

const Register kRegister({"vunary", {field(&KernelTable::vunary)}, &test, &spec});

}  // namespace
}  // namespace os::test
