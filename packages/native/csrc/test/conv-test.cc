// Test adapter for conv (kernels/conv): depthwise rows (every test size, 1 to 25 taps at shifts
// into one guarded plane, every activation) and the strided row copy of the stride-phase split, against
// the scalar table; the scalar table against the definitions in double precision.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../kernels/conv/conv.h"
#include "../kernels/vunary/vunary.h"
#include "harness.h"

namespace os::test {
namespace {

const int kActivations[] = {-1, static_cast<int>(UnaryOp::relu), static_cast<int>(UnaryOp::sigmoid),
                            static_cast<int>(UnaryOp::silu), static_cast<int>(UnaryOp::tanh)};

double activate(int activation, double x) {
  switch (activation) {
    case static_cast<int>(UnaryOp::relu): return std::max(x, 0.0);
    case static_cast<int>(UnaryOp::sigmoid): return 1.0 / (1.0 + std::exp(-x));
    case static_cast<int>(UnaryOp::silu): return x / (1.0 + std::exp(-x));
    case static_cast<int>(UnaryOp::tanh): return std::tanh(x);
    default: return x;
  }
}

struct DwCase {
  size_t n, taps;
  int activation;
  std::vector<ptrdiff_t> shifts;
  std::vector<float> w;
  float bias;
};

// Shifts up to `span`: the plane holds span + n floats, so the last tap's row ends at its end.
DwCase dw_case(Rng& rng, size_t n, size_t i) {
  DwCase c{n, i % 25 + 1, kActivations[i % 5], {}, {}, 0.0f};
  const size_t span = 3 * (c.taps + 2);
  for (size_t t = 0; t < c.taps; t++) c.shifts.push_back(static_cast<ptrdiff_t>(t + 1 == c.taps ? span : rng.below(span + 1)));
  c.w.resize(c.taps);
  rng.fill(c.w.data(), c.taps, -1, 1);
  c.bias = rng.uniform(-1, 1);
  return c;
}

size_t plane_size(const DwCase& c) { return 3 * (c.taps + 2) + c.n; }

void run(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  size_t i = 0;
  for (size_t n : test_sizes()) {
    const DwCase c = dw_case(rng, n, i++);
    std::vector<float> values(plane_size(c));
    rng.fill(values.data(), values.size(), -4, 4);
    Guarded x(values.data(), values.size()), want(n), got(n);
    x.protect();
    check.begin("dwconv", "n=%zu taps=%zu activation=%d", n, c.taps, c.activation);
    scalar.dwconv(n, c.taps, x.data(), c.shifts.data(), c.w.data(), c.bias, c.activation, want.data());
    isa.dwconv(n, c.taps, x.data(), c.shifts.data(), c.w.data(), c.bias, c.activation, got.data());
    check.compare(got.data(), want.data(), n, Tolerance{8, 2e-6f * static_cast<float>(c.taps)});
    check.expect(got.guard_ok(), "wrote before its output");
  }
  for (size_t n : test_sizes()) {
    for (size_t stride : {1, 2, 3}) {
      std::vector<float> values((n - 1) * stride + 1);
      rng.fill(values.data(), values.size(), -1e3f, 1e3f);
      Guarded src(values.data(), values.size()), want(n), got(n);
      src.protect();
      check.begin("gather_strided", "n=%zu stride=%zu", n, stride);
      scalar.gather_strided(n, src.data(), stride, want.data());
      isa.gather_strided(n, src.data(), stride, got.data());
      check.compare(got.data(), want.data(), n, Tolerance{});
      check.expect(got.guard_ok(), "wrote before its output");
    }
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  size_t i = 0;
  for (size_t n : test_sizes()) {
    const DwCase c = dw_case(rng, n, i++);
    std::vector<float> x(plane_size(c)), got(n), want(n);
    rng.fill(x.data(), x.size(), -4, 4);
    for (size_t p = 0; p < n; p++) {
      double s = c.bias;
      for (size_t t = 0; t < c.taps; t++) s += static_cast<double>(c.w[t]) * x[c.shifts[t] + p];
      want[p] = static_cast<float>(activate(c.activation, s));
    }
    check.begin("dwconv", "against the definition: n=%zu taps=%zu activation=%d", n, c.taps, c.activation);
    scalar.dwconv(n, c.taps, x.data(), c.shifts.data(), c.w.data(), c.bias, c.activation, got.data());
    check.compare(got.data(), want.data(), n, Tolerance{8, 2e-6f * static_cast<float>(c.taps)});
  }
}

const Register kRegister(
    {"conv", {field(&KernelTable::dwconv), field(&KernelTable::gather_strided)}, &run, &spec});

}  // namespace
}  // namespace os::test
