// Test adapter for pool (kernels/pool): pool_row (max and average, with and without the padding in the
// count, every input width of the test sizes with kernels 1 to 7, strides 1 to 3 (1 takes the vector
// path), dilations 1 to 3, pads on either side, floor and ceil mode output widths, one to three input
// rows each in its own guarded buffer) and pool_global (every test size and runs of several
// thousand), each ISA against the scalar table and against the definition in double precision. Values
// on a 1/256 grid make every sum exact, so the averages must match double precision to their last
// rounding whatever the order. NaN propagates through averages; max pooling skips or propagates NaN
// depending on the ISA (x86's max returns its first operand when one is NaN, NEON's the NaN, the
// reference's depends on the tap order), so only +-inf go through max.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "../kernels/pool/pool.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff

enum class Values { full, grid, special };

const char* values_name(Values v) { return v == Values::full ? "full" : v == Values::grid ? "grid" : "special"; }

// Multiples of 1/256 in [-4, 4]: sums of up to 65536 of them are exact in float32.
void fill_grid(Rng& rng, float* x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = static_cast<float>(static_cast<int>(rng.below(2049)) - 1024) / 256;
}

// Random values with the special values (NaN only for averages; no values whose float sums overflow,
// which would depend on the order) at random places.
void fill(Rng& rng, float* x, size_t n, Values v, PoolOp op) {
  if (v == Values::grid) return fill_grid(rng, x, n);
  rng.fill(x, n, -10, 10);
  if (v != Values::special) return;
  std::vector<float> special;
  for (float s : special_values(op == PoolOp::avg)) {
    if (!std::isfinite(s) || std::fabs(s) <= 1e30f) special.push_back(s);
  }
  for (size_t k = 0; k < std::max<size_t>(1, n / 8); k++) x[rng.below(n)] = special[rng.below(special.size())];
}

struct RowCase {
  PoolRow p;  // rows is set when the case runs
  Values values;
  std::vector<std::vector<float>> rows;
};

// ONNX's output width: floor or ceil of the windows that fit, a ceil-mode window starting past the
// input and its left padding dropped (PyTorch's rule, which the operator follows).
size_t out_width(size_t in_w, size_t k, size_t s, size_t d, size_t pb, size_t pe, bool ceil_mode) {
  const size_t span = (k - 1) * d + 1, total = in_w + pb + pe;
  if (total < span) return 0;
  size_t out = (total - span + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (out - 1) * s >= in_w + pb) out--;
  return out;
}

std::vector<RowCase> row_cases(Rng& rng) {
  std::vector<RowCase> list;
  size_t i = 0;
  for (size_t in_w : test_sizes()) {
    for (size_t rep = 0; rep < 8; rep++, i++) {
      const size_t k = 1 + rng.below(7);
      const size_t s = rep % 2 == 0 ? 1 : 1 + rng.below(3);
      const size_t d = rep % 3 == 0 ? 1 + rng.below(3) : 1;
      const size_t pb = rng.below(k), pe = rng.below(k);
      const size_t out_w = out_width(in_w, k, s, d, pb, pe, rep % 4 == 3);
      if (out_w == 0) continue;
      RowCase c{};
      c.p.op = rep % 2 ? PoolOp::avg : PoolOp::max;
      c.p.nrows = 1 + rng.below(3);
      c.p.in_w = in_w;
      c.p.out_w = out_w;
      c.p.kernel = k;
      c.p.stride = s;
      c.p.dilation = d;
      c.p.pad_begin = pb;
      c.p.pad_end = pe;
      c.p.include_pad = rep % 4 >= 2;
      // The operator counts padded rows when include_pad is set: as many or more than the given ones.
      c.p.hcount = c.p.nrows + (c.p.include_pad ? rng.below(2) : 0);
      c.values = static_cast<Values>(i % 3);
      for (size_t r = 0; r < c.p.nrows; r++) {
        c.rows.emplace_back(in_w);
        fill(rng, c.rows.back().data(), in_w, c.values, c.p.op);
      }
      list.push_back(std::move(c));
    }
  }
  return list;
}

// The definition: taps at ow * stride - pad_begin + k * dilation, inside the row or in its padding.
void definition_row(const RowCase& c, float* y) {
  const PoolRow& p = c.p;
  for (size_t ow = 0; ow < p.out_w; ow++) {
    double mx = -HUGE_VAL, sum = 0.0;
    size_t inside = 0, padded = 0;
    for (size_t k = 0; k < p.kernel; k++) {
      const long long iw = static_cast<long long>(ow * p.stride + k * p.dilation) - static_cast<long long>(p.pad_begin);
      if (iw >= -static_cast<long long>(p.pad_begin) && iw < static_cast<long long>(p.in_w + p.pad_end)) padded++;
      if (iw < 0 || iw >= static_cast<long long>(p.in_w)) continue;
      inside++;
      for (const std::vector<float>& row : c.rows) {
        mx = std::max<double>(mx, row[iw]);
        sum += row[iw];
      }
    }
    const double count = static_cast<double>(p.hcount * (p.include_pad ? padded : inside));
    y[ow] = static_cast<float>(p.op == PoolOp::max ? mx : sum / count);
  }
}

// The bound against the definition. max: exact. avg of m = nrows * kernel values: a float sum rounds
// m - 1 times by 2^-24 of at most m max|x|, divided by a count of at least m; the division (or product
// with the rounded reciprocal, inside the row) rounds twice, by 2^-24 of at most max|x|: (m + 2)
// 2^-24 max|x|.
// On the 1/256 grid the sum is exact: only the reciprocal and product round, 2 ulp.
Tolerance row_tol(const RowCase& c) {
  if (c.p.op == PoolOp::max) return Tolerance{};
  if (c.values == Values::grid) return Tolerance{2};
  double amax = 0.0;
  for (const auto& row : c.rows) {
    for (float v : row) {
      if (std::isfinite(v)) amax = std::max(amax, std::fabs(static_cast<double>(v)));
    }
  }
  const double m = static_cast<double>(c.p.nrows * c.p.kernel);
  return Tolerance{2, static_cast<float>(kU * (m + 2) * amax)};
}

// Runs one case with table t: each row in its own guarded, read-only buffer.
void run_row(const KernelTable& t, const RowCase& c, float* y) {
  std::vector<std::unique_ptr<Guarded>> bufs;
  std::vector<const float*> ptrs;
  for (const auto& row : c.rows) {
    bufs.push_back(std::make_unique<Guarded>(row.data(), row.size()));
    bufs.back()->protect();
    ptrs.push_back(bufs.back()->data());
  }
  PoolRow p = c.p;
  p.rows = ptrs.data();
  t.pool_row(p, y);
}

void begin_row(Check& check, const RowCase& c, const char* suffix) {
  const PoolRow& p = c.p;
  char group[48];
  std::snprintf(group, sizeof group, "%s%s%s", p.op == PoolOp::max ? "row max" : "row avg",
                p.op == PoolOp::avg && p.include_pad ? " incl pad" : "", suffix);
  check.begin(group, "%s, in_w=%zu out_w=%zu k=%zu s=%zu d=%zu pads %zu %zu rows=%zu hcount=%zu", values_name(c.values),
              p.in_w, p.out_w, p.kernel, p.stride, p.dilation, p.pad_begin, p.pad_end, p.nrows, p.hcount);
}

struct GlobalCase {
  PoolOp op;
  Values values;
  std::vector<float> x;
};

std::vector<GlobalCase> global_cases(Rng& rng) {
  std::vector<GlobalCase> list;
  std::vector<size_t> sizes = test_sizes();
  sizes.push_back(65536 + 7);  // a 256 x 256 plane and a tail
  size_t i = 0;
  for (size_t n : sizes) {
    for (PoolOp op : {PoolOp::max, PoolOp::avg}) {
      for (Values v : {Values::full, Values::grid, Values::special}) {
        GlobalCase c{op, v, std::vector<float>(n)};
        fill(rng, c.x.data(), n, v, op);
        list.push_back(std::move(c));
        i++;
      }
    }
  }
  return list;
}

float definition_global(const GlobalCase& c) {
  double mx = -HUGE_VAL, sum = 0.0;
  for (float v : c.x) {
    mx = std::max<double>(mx, v);
    sum += v;
  }
  return static_cast<float>(c.op == PoolOp::max ? mx : sum / static_cast<double>(c.x.size()));
}

// The bound against the definition. max: exact. avg: the float partial sums hold at most n / 2 + 1
// values each (two accumulators; one lane each on the scalar table, the worst case), then the
// reduction across at most 32 lanes (5 roundings) and the division: (n / 2 + 8) 2^-24 of the mean
// magnitude. On the 1/256 grid every partial sum is exact and the mean is divided in double, exactly
// as the definition: bit for bit.
Tolerance global_tol(const GlobalCase& c) {
  if (c.op == PoolOp::max || c.values == Values::grid) return Tolerance{};
  double mean_abs = 0.0;
  for (float v : c.x) {
    if (std::isfinite(v)) mean_abs += std::fabs(static_cast<double>(v));
  }
  mean_abs /= static_cast<double>(c.x.size());
  return Tolerance{0, static_cast<float>(kU * (static_cast<double>(c.x.size()) / 2 + 8) * mean_abs)};
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const RowCase& c : row_cases(rng)) {
    const size_t n = c.p.out_w;
    Guarded want(n), y(n);
    std::vector<float> def(n);
    definition_row(c, def.data());
    begin_row(check, c, "");
    run_row(scalar, c, want.data());
    run_row(isa, c, y.data());
    // Every ISA sums (or takes the max over) each window's taps in the same order, row by row inside the
    // row, tap by tap at the borders, and scales it the same way: bit for bit.
    check.compare(y.data(), want.data(), n, Tolerance{});
    check.expect(y.guard_ok(), "wrote before its output");
    begin_row(check, c, " vs double");
    check.compare(y.data(), def.data(), n, row_tol(c));
  }
  for (const GlobalCase& c : global_cases(rng)) {
    const size_t n = c.x.size();
    Guarded x(c.x.data(), n);
    x.protect();
    const float def = definition_global(c);
    const Tolerance tol = global_tol(c);
    const char* name = c.op == PoolOp::max ? "global max" : "global avg";
    check.begin(name, "%s, n=%zu", values_name(c.values), n);
    const float want = scalar.pool_global(c.op, n, x.data());
    const float got = isa.pool_global(c.op, n, x.data());
    // Against scalar: both within the definition's bound, so within twice it.
    check.compare(&got, &want, 1, Tolerance{0, 2 * tol.abs});
    check.begin(c.op == PoolOp::max ? "global max vs double" : "global avg vs double", "%s, n=%zu",
                values_name(c.values), n);
    check.compare(&got, &def, 1, tol);
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const RowCase& c : row_cases(rng)) {
    std::vector<float> got(c.p.out_w), def(c.p.out_w);
    definition_row(c, def.data());
    begin_row(check, c, "");
    run_row(scalar, c, got.data());
    check.compare(got.data(), def.data(), got.size(), row_tol(c));
  }
  for (const GlobalCase& c : global_cases(rng)) {
    const float def = definition_global(c);
    check.begin(c.op == PoolOp::max ? "global max" : "global avg", "against the definition: %s, n=%zu",
                values_name(c.values), c.x.size());
    const float got = scalar.pool_global(c.op, c.x.size(), c.x.data());
    check.compare(&got, &def, 1, global_tol(c));
  }
}

const Register kRegister({"pool", {field(&KernelTable::pool_row), field(&KernelTable::pool_global)}, &test, &spec});

}  // namespace
}  // namespace os::test
