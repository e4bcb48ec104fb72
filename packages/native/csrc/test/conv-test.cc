// Test adapter for conv (kernels/conv): depthwise rows (every test size, 1 to 25 taps at shifts
// into one guarded plane, every activation) and the padded row copy of the stride-phase split (strides
// 1 to 3, zeros before and after), against the scalar table; the scalar table against the definitions
// in double precision.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../kernels/conv/conv.h"
#include "../kernels/vunary/vunary.h"
#include "harness.h"

namespace os::test {
namespace {

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

// pad_rows: 1 to 3 rows of n values `stride` apart, source rows up to one float further apart than
// they span (the last value ends the source buffer), 0 to 2 zeros before and 0 to 4 after each row.
struct PadCase {
  size_t rows, n, stride, src_pitch, lead, pitch;
  size_t src_floats() const { return (rows - 1) * src_pitch + (n - 1) * stride + 1; }
  size_t dst_floats() const { return rows * pitch; }
};

PadCase pad_case(size_t n, size_t stride, size_t i) {
  const size_t lead = i % 3;
  return {i % 3 + 1, n, stride, (n - 1) * stride + 1 + i % 2, lead, lead + n + (i / 3) % 5};
}

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
  size_t j = 0;
  for (size_t n : test_sizes()) {
    for (size_t stride : {1, 2, 3, 4}) {
      const PadCase c = pad_case(n, stride, j++);
      std::vector<float> values(c.src_floats());
      rng.fill(values.data(), values.size(), -1e3f, 1e3f);
      Guarded src(values.data(), values.size()), want(c.dst_floats()), got(c.dst_floats());
      src.protect();
      // Stale values where the kernel must write zeros.
      std::fill(want.data(), want.data() + want.size(), 7.0f);
      std::fill(got.data(), got.data() + got.size(), 7.0f);
      check.begin("pad_rows", "rows=%zu n=%zu stride=%zu lead=%zu pitch=%zu", c.rows, n, stride, c.lead, c.pitch);
      scalar.pad_rows(c.rows, src.data(), c.src_pitch, stride, c.lead, n, c.pitch, want.data());
      isa.pad_rows(c.rows, src.data(), c.src_pitch, stride, c.lead, n, c.pitch, got.data());
      check.compare(got.data(), want.data(), got.size(), Tolerance{0, 0.0f, true});
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
  size_t j = 0;
  for (size_t n : test_sizes()) {
    for (size_t stride : {1, 2, 3, 4}) {
      const PadCase c = pad_case(n, stride, j++);
      std::vector<float> src(c.src_floats()), got(c.dst_floats(), 7.0f), want(c.dst_floats(), 0.0f);
      rng.fill(src.data(), src.size(), -1e3f, 1e3f);
      for (size_t r = 0; r < c.rows; r++) {
        for (size_t k = 0; k < n; k++) want[r * c.pitch + c.lead + k] = src[r * c.src_pitch + k * stride];
      }
      check.begin("pad_rows", "against the definition: rows=%zu n=%zu stride=%zu lead=%zu pitch=%zu", c.rows, n,
                  stride, c.lead, c.pitch);
      scalar.pad_rows(c.rows, src.data(), c.src_pitch, stride, c.lead, n, c.pitch, got.data());
      check.compare(got.data(), want.data(), got.size(), Tolerance{0, 0.0f, true});
    }
  }
}

const Register kRegister(
    {"conv", {field(&KernelTable::dwconv), field(&KernelTable::pad_rows)}, &run, &spec});

}  // namespace
}  // namespace os::test
