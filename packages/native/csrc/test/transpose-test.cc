// Test adapter for transpose (kernels/transpose): transpose2d, the core of Transpose and of the K^T
// copy in attention, on rows x cols from 1 to 257 (partial 8 x 8 tiles, the 128 x 32 blocks and their
// ragged edges, either side's stride the longer one), with gaps after every row of src and dst that the
// kernel must neither read into its result nor write. A transpose moves bits: every element, NaN
// payloads and signed zeros included, must arrive bit for bit where the definition puts it, on every
// ISA and on the scalar table.
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/transpose/transpose.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr float kSentinel = -4321.25f;  // dst's gaps

struct Case {
  size_t rows, cols, lds, ldd;
  std::vector<float> src;  // (rows - 1) * lds + cols values, the gaps random too
};

size_t dst_size(const Case& c) { return (c.cols - 1) * c.ldd + c.rows; }

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Random values with some special ones: NaNs with payloads (quiet and signalling), -0, +-inf.
std::vector<float> source(Rng& rng, size_t n, bool special) {
  std::vector<float> x(n);
  rng.fill(x.data(), n, -1e3f, 1e3f);
  if (!special) return x;
  const float sp[] = {from_bits(0x7fc00123u), from_bits(0x7f800001u), from_bits(0xffc00042u), -0.0f,
                      std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                      from_bits(0x00000001u)};
  for (size_t k = 0; k < n / 4 + 1; k++) x[rng.below(n)] = sp[rng.below(sizeof sp / sizeof sp[0])];
  return x;
}

std::vector<Case> cases(Rng& rng) {
  const size_t dims[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 129, 130, 257};
  const size_t gaps[] = {0, 1, 3, 8, 0, 5};
  std::vector<Case> list;
  size_t i = 0;
  for (size_t rows : dims) {
    for (size_t cols : dims) {
      Case c{rows, cols, cols + gaps[i % 6], rows + gaps[(i / 6 + i) % 6], {}};
      c.src = source(rng, (rows - 1) * c.lds + cols, i % 3 == 0);
      list.push_back(std::move(c));
      i++;
    }
  }
  return list;
}

// The definition: dst[j * ldd + i] = src[i * lds + j]; the gaps keep their sentinel.
std::vector<float> definition(const Case& c) {
  std::vector<float> y(dst_size(c), kSentinel);
  for (size_t i = 0; i < c.rows; i++) {
    for (size_t j = 0; j < c.cols; j++) std::memcpy(&y[j * c.ldd + i], &c.src[i * c.lds + j], sizeof(float));
  }
  return y;
}

// Runs table t on guarded buffers: src read-only and ending at a guard page, dst ending at one.
void run(const KernelTable& t, const Case& c, Guarded* dst) {
  Guarded src(c.src.data(), c.src.size());
  src.protect();
  std::fill(dst->data(), dst->data() + dst->size(), kSentinel);
  t.transpose2d(c.rows, c.cols, src.data(), c.lds, dst->data(), c.ldd);
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Case& c : cases(rng)) {
    const size_t n = dst_size(c);
    Guarded want(n), y(n);
    const std::vector<float> def = definition(c);
    check.begin("transpose2d", "rows=%zu cols=%zu lds=%zu ldd=%zu", c.rows, c.cols, c.lds, c.ldd);
    run(scalar, c, &want);
    run(isa, c, &y);
    check.compare(y.data(), want.data(), n, Tolerance{0, 0.0f, true});
    check.expect(y.guard_ok(), "wrote outside dst");
    check.begin("transpose2d vs definition", "rows=%zu cols=%zu lds=%zu ldd=%zu", c.rows, c.cols, c.lds, c.ldd);
    check.expect(std::memcmp(y.data(), def.data(), n * sizeof(float)) == 0,
                 "dst (its gaps included) differs from the definition bit for bit");
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Case& c : cases(rng)) {
    const size_t n = dst_size(c);
    Guarded y(n);
    const std::vector<float> def = definition(c);
    check.begin("transpose2d", "against the definition: rows=%zu cols=%zu lds=%zu ldd=%zu", c.rows, c.cols, c.lds,
                c.ldd);
    run(scalar, c, &y);
    check.expect(std::memcmp(y.data(), def.data(), n * sizeof(float)) == 0,
                 "dst (its gaps included) differs from the definition bit for bit");
    check.expect(y.guard_ok(), "wrote outside dst");
  }
}

const Register kRegister({"transpose", {field(&KernelTable::transpose2d)}, &test, &spec});

}  // namespace
}  // namespace os::test
