// Test adapter for softmax (kernels/softmax): softmax and log-softmax of contiguous lines (softmax_row:
// every test size, inputs in three ranges, in place) and of w lines laid across the rows of an n x w
// block with a row stride (softmax_cols: widths past the kernel's 256-column blocks, the gaps between
// rows left alone, in place), with masked (-inf) values, fully masked lines, NaN, +-inf and extreme
// values; each ISA against the scalar table and against the definition in double precision.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/softmax/softmax.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr double kU = 0x1p-24;  // float32's unit roundoff
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = 1234.5f;  // fills the gaps between rows, which the kernel must not touch
constexpr Tolerance kExact{0, 0.0f, true};

// The definition, in double precision, of the line x[0], x[stride], ... (n values), written to y with
// the same stride. Like the reference backend: the max propagates NaN (Math.max), so a line holding
// NaN is NaN; a line of -inf only (fully masked) becomes zeros, -inf for log-softmax.
void definition(size_t n, const float* x, size_t stride, bool log, float* y) {
  double mx = -HUGE_VAL;
  for (size_t j = 0; j < n; j++) {
    const double v = x[j * stride];
    mx = std::isnan(mx) || std::isnan(v) ? NAN : std::max(mx, v);
  }
  if (mx == -HUGE_VAL) {
    for (size_t j = 0; j < n; j++) y[j * stride] = log ? -kInf : 0.0f;
    return;
  }
  double sum = 0.0;
  for (size_t j = 0; j < n; j++) sum += std::exp(x[j * stride] - mx);
  for (size_t j = 0; j < n; j++) {
    const double v = x[j * stride] - mx;
    y[j * stride] = static_cast<float>(log ? v - std::log(sum) : std::exp(v) / sum);
  }
}

// The error bound of the line x[0], x[stride], ... (n values) against the definition.
// softmax: the sum of n positive terms rounds n - 1 times, each time by at most 2^-24 of the running
// sum (no more than the final sum): a relative error of at most (n - 1) 2^-24, n - 1 ulp of any
// result. exp's 2 ulp (math.h) reach each term and the sum, 1 / sum and the product add 1 ulp each:
// n + 6 ulp. x - max rounds in float32, which moves exp's argument by up to |x - max| 2^-24, as much
// relative error in the term: up to |x - max| ulp in the result itself (where exp is not flushed,
// |x - max| < 88) plus the probability-weighted mean of |x - max| through the sum. exp flushes
// arguments below -87.34 to 0 instead of a subnormal, so results below FLT_MIN may be
// off by FLT_MIN (the sum is at least 1: no more than that).
// log-softmax, y = x - (max + log(sum)): log(sum) inherits the sum's relative error as an absolute
// one (n + 5 + the argument term, in units of 2^-24, with log's own rounding), then max + log(sum)
// and x - shift round once each, by 2^-24 of magnitudes below 2 max|x| + log(n) + 1.
Tolerance line_tol(size_t n, const float* x, size_t stride, bool log) {
  double mx = -HUGE_VAL, amax = 0.0;
  for (size_t j = 0; j < n; j++) {
    const double v = x[j * stride];
    if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
    if (!std::isnan(v)) mx = std::max(mx, v);
  }
  double far = 0.0, mean = 0.0;  // the argument term's two parts
  if (std::isfinite(mx)) {
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) sum += std::exp(x[j * stride] - mx);
    for (size_t j = 0; j < n; j++) {
      const double d = mx - x[j * stride];
      if (d < 88) far = std::max(far, d);
      if (std::isfinite(d)) mean += std::exp(-d) / sum * d;
    }
  }
  const double args = std::ceil(far + mean);
  if (!log) return Tolerance{static_cast<uint32_t>(static_cast<double>(n) + 6 + args), FLT_MIN};
  const double abs =
      kU * (static_cast<double>(n) + 6 + args + 4 * (amax + std::log(static_cast<double>(n) + 1)));
  return Tolerance{2, static_cast<float>(abs)};
}

// The widest bound of a block's lines.
Tolerance widest(Tolerance a, Tolerance b) { return Tolerance{std::max(a.ulps, b.ulps), std::max(a.abs, b.abs)}; }

// An ISA against the scalar table. Both compute every term exp(x - max) bit for bit alike (the same
// max, subtraction and polynomial), so only the order of the sum differs: its rounding, at most n - 1
// ulp on each side, and 1 / sum and the product rounding differently, 1 ulp each side: 2n + 2 ulp.
// log-softmax: within the definition's bound on either side, so within twice it.
Tolerance isa_tol(size_t n, bool log, const Tolerance& def) {
  if (log) return Tolerance{2 * def.ulps, 2 * def.abs};
  return Tolerance{static_cast<uint32_t>(2 * n + 2), 0.0f};
}

// Lines for softmax_row; the same sequence for every table (one seed).
struct Line {
  std::vector<float> x;
  const char* what;
};

std::vector<Line> row_lines(Rng& rng) {
  std::vector<Line> lines;
  for (size_t n : test_sizes()) {
    // The all-negative range catches a tail whose masked-off lanes (0, far above the max) enter the sum.
    const float ranges[][2] = {{-20, 20}, {-1, 1}, {-30, -10}};
    for (const auto& r : ranges) {
      Line l{std::vector<float>(n), "random"};
      rng.fill(l.x.data(), n, r[0], r[1]);
      lines.push_back(std::move(l));
    }
    // Masked keys (an attention mask): a third of the values -inf, at least one finite.
    Line m{std::vector<float>(n), "masked values"};
    rng.fill(m.x.data(), n, -5, 5);
    const size_t keep = rng.below(n);
    for (size_t i = 0; i < n; i++) {
      if (i != keep && rng.below(3) == 0) m.x[i] = -kInf;
    }
    lines.push_back(std::move(m));
  }
  for (size_t n = 1; n <= 40; n++) {
    lines.push_back(Line{std::vector<float>(n, -kInf), "fully masked"});
    // NaN alone among -inf is not a masked line: the reference gives NaN everywhere.
    Line nm{std::vector<float>(n, -kInf), "NaN among -inf"};
    nm.x[rng.below(n)] = kNaN;
    lines.push_back(std::move(nm));
    Line nf{std::vector<float>(n), "NaN among numbers"};
    rng.fill(nf.x.data(), n, -5, 5);
    nf.x[rng.below(n)] = kNaN;
    lines.push_back(std::move(nf));
    Line pi{std::vector<float>(n), "+inf among numbers"};
    rng.fill(pi.x.data(), n, -5, 5);
    pi.x[rng.below(n)] = kInf;
    lines.push_back(std::move(pi));
  }
  // The finite special values and -inf in every lane and tail: shift them along a random prefix.
  std::vector<float> special;
  for (float v : special_values(false)) {
    if (v != kInf) special.push_back(v);
  }
  for (size_t shift = 0; shift <= 16; shift++) {
    Line s{std::vector<float>(shift), "special values"};
    rng.fill(s.x.data(), shift, -5, 5);
    s.x.insert(s.x.end(), special.begin(), special.end());
    lines.push_back(std::move(s));
  }
  return lines;
}

// One line with the ISA table, out of place and in place, against the scalar table and the definition.
void row_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const Line& line, bool log) {
  const size_t n = line.x.size();
  Guarded x(line.x.data(), n), want(n), y(n), z(line.x.data(), n);
  x.protect();
  std::vector<float> def(n);
  definition(n, line.x.data(), 1, log, def.data());
  const Tolerance tol = line_tol(n, line.x.data(), 1, log);
  check.begin(log ? "row log" : "row", "%s, n=%zu", line.what, n);
  scalar.softmax_row(n, x.data(), want.data(), log);
  isa.softmax_row(n, x.data(), y.data(), log);
  check.compare(y.data(), want.data(), n, isa_tol(n, log, tol));
  check.expect(y.guard_ok(), "wrote before its output");
  check.begin(log ? "row log in place" : "row in place", "%s, n=%zu", line.what, n);
  isa.softmax_row(n, z.data(), z.data(), log);
  check.compare(z.data(), y.data(), n, kExact);  // the same operations as out of place
  check.begin(log ? "row log vs double" : "row vs double", "%s, n=%zu", line.what, n);
  check.compare(y.data(), def.data(), n, tol);
}

// A block for softmax_cols: n rows of w values, `stride` apart (the gaps hold other data).
struct Block {
  size_t n, w, stride;
  std::vector<float> x;  // (n - 1) * stride + w values
  const char* what;
};

size_t block_size(size_t n, size_t w, size_t stride) { return (n - 1) * stride + w; }

// Column kinds of the special blocks.
enum class Column { random, masked_values, fully_masked, nan_among_ninf, nan_among_numbers, pinf };

void fill_column(Rng& rng, Block& b, size_t c, Column kind) {
  for (size_t j = 0; j < b.n; j++) b.x[j * b.stride + c] = rng.uniform(-5, 5);
  const size_t at = rng.below(b.n);
  switch (kind) {
    case Column::random: break;
    case Column::masked_values:
      for (size_t j = 0; j < b.n; j++) {
        if (j != at && rng.below(3) == 0) b.x[j * b.stride + c] = -kInf;
      }
      break;
    case Column::fully_masked:
    case Column::nan_among_ninf:
      for (size_t j = 0; j < b.n; j++) b.x[j * b.stride + c] = -kInf;
      if (kind == Column::nan_among_ninf) b.x[at * b.stride + c] = kNaN;
      break;
    case Column::nan_among_numbers: b.x[at * b.stride + c] = kNaN; break;
    case Column::pinf: b.x[at * b.stride + c] = kInf; break;
  }
}

Block make_block(Rng& rng, size_t n, size_t w, size_t gap, bool special) {
  Block b{n, w, w + gap, std::vector<float>(block_size(n, w, w + gap)), special ? "special columns" : "random"};
  rng.fill(b.x.data(), b.x.size(), -20, 20);  // the gaps too: data the kernel must not read into its lines
  for (size_t c = 0; c < w; c++) {
    fill_column(rng, b, c, special ? static_cast<Column>(rng.below(6)) : Column::random);
  }
  return b;
}

std::vector<Block> blocks(Rng& rng) {
  std::vector<Block> list;
  const size_t ns[] = {1, 2, 3, 4, 7, 16, 33};
  const size_t gaps[] = {0, 1, 5, 16};
  size_t i = 0;
  for (size_t w : test_sizes()) {
    if (w > 1000) continue;  // the wide blocks below cover long strips
    list.push_back(make_block(rng, ns[i % 7], w, gaps[i % 4], false));
    list.push_back(make_block(rng, ns[(i + 3) % 7], w, gaps[(i + 1) % 4], true));
    i++;
  }
  // Wider than the kernel's 256-column blocks: several blocks and a ragged last one.
  for (size_t w : {255, 256, 257, 300, 513, 1000}) {
    list.push_back(make_block(rng, 3 + i % 3, w, gaps[i % 4], false));
    list.push_back(make_block(rng, 5, w, gaps[(i + 2) % 4], true));
    i++;
  }
  return list;
}

// The gaps between a block's rows hold `sentinel` still.
bool gaps_intact(const float* y, const Block& b) {
  for (size_t j = 0; j + 1 < b.n; j++) {
    for (size_t c = b.w; c < b.stride; c++) {
      if (std::memcmp(&y[j * b.stride + c], &kSentinel, sizeof(float)) != 0) return false;
    }
  }
  return true;
}

void definition_block(const Block& b, bool log, float* y) {
  for (size_t c = 0; c < b.w; c++) definition(b.n, b.x.data() + c, b.stride, log, y + c);
}

Tolerance block_tol(const Block& b, bool log) {
  Tolerance t{};
  for (size_t c = 0; c < b.w; c++) t = widest(t, line_tol(b.n, b.x.data() + c, b.stride, log));
  return t;
}

// The output's lines only (its gaps are checked separately), as one contiguous array for compare().
std::vector<float> lines_of(const float* y, const Block& b) {
  std::vector<float> out;
  for (size_t j = 0; j < b.n; j++) out.insert(out.end(), y + j * b.stride, y + j * b.stride + b.w);
  return out;
}

void cols_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const Block& b, bool log) {
  const size_t size = b.x.size();
  Guarded x(b.x.data(), size), want(size), y(size), z(b.x.data(), size);
  x.protect();
  std::fill(want.data(), want.data() + size, kSentinel);
  std::fill(y.data(), y.data() + size, kSentinel);
  std::vector<float> def(size, kSentinel);
  definition_block(b, log, def.data());
  const char* group = log ? "cols log" : "cols";
  check.begin(group, "%s, n=%zu w=%zu stride=%zu", b.what, b.n, b.w, b.stride);
  scalar.softmax_cols(b.n, b.stride, b.w, x.data(), want.data(), log);
  isa.softmax_cols(b.n, b.stride, b.w, x.data(), y.data(), log);
  // Each line's max, sum and outputs run along the line in the same order on every ISA (one lane per
  // line), with the same exp: bit for bit where multiply-adds are fused.
  const Tolerance tol = block_tol(b, log);
  check.compare(lines_of(y.data(), b).data(), lines_of(want.data(), b).data(), b.n * b.w,
                same_operations(isa, kExact, tol));
  check.expect(y.guard_ok(), "wrote outside its output");
  check.expect(gaps_intact(y.data(), b), "wrote into the gaps between rows");
  check.begin(log ? "cols log in place" : "cols in place", "%s, n=%zu w=%zu stride=%zu", b.what, b.n, b.w, b.stride);
  isa.softmax_cols(b.n, b.stride, b.w, z.data(), z.data(), log);
  check.compare(lines_of(z.data(), b).data(), lines_of(y.data(), b).data(), b.n * b.w, kExact);
  bool untouched = true;  // in place, the gaps still hold the input's other data
  for (size_t j = 0; j + 1 < b.n; j++) {
    untouched = untouched && std::memcmp(z.data() + j * b.stride + b.w, b.x.data() + j * b.stride + b.w,
                                         (b.stride - b.w) * sizeof(float)) == 0;
  }
  check.expect(untouched, "wrote into the gaps between rows (in place)");
  check.begin(log ? "cols log vs double" : "cols vs double", "%s, n=%zu w=%zu stride=%zu", b.what, b.n, b.w, b.stride);
  check.compare(lines_of(y.data(), b).data(), lines_of(def.data(), b).data(), b.n * b.w, tol);
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Line& line : row_lines(rng)) {
    for (bool log : {false, true}) row_case(check, isa, scalar, line, log);
  }
  for (const Block& b : blocks(rng)) {
    for (bool log : {false, true}) cols_case(check, isa, scalar, b, log);
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Line& line : row_lines(rng)) {
    const size_t n = line.x.size();
    for (bool log : {false, true}) {
      std::vector<float> got(n), def(n);
      definition(n, line.x.data(), 1, log, def.data());
      check.begin(log ? "row log" : "row", "against the definition: %s, n=%zu", line.what, n);
      scalar.softmax_row(n, line.x.data(), got.data(), log);
      check.compare(got.data(), def.data(), n, line_tol(n, line.x.data(), 1, log));
    }
  }
  for (const Block& b : blocks(rng)) {
    for (bool log : {false, true}) {
      std::vector<float> got(b.x.size(), kSentinel), def(b.x.size(), kSentinel);
      definition_block(b, log, def.data());
      check.begin(log ? "cols log" : "cols", "against the definition: %s, n=%zu w=%zu", b.what, b.n, b.w);
      scalar.softmax_cols(b.n, b.stride, b.w, b.x.data(), got.data(), log);
      check.compare(lines_of(got.data(), b).data(), lines_of(def.data(), b).data(), b.n * b.w, block_tol(b, log));
    }
  }
}

const Register kRegister(
    {"softmax", {field(&KernelTable::softmax_row), field(&KernelTable::softmax_cols)}, &test, &spec});

}  // namespace
}  // namespace os::test
