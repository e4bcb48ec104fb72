// simd::fused_multiply_add (common/simd/scalar.h), the scalar table's multiply-add: bit for bit
// std::fma. Where it is std::fma itself (native builds) this is trivial; in WebAssembly it is the
// inlined double-precision common case of libc's fmaf, which must leave every sum halfway between
// two floats to the library. Not a kernel family: it runs once, as the "fma" family's check of the
// scalar table, and covers no KernelTable member.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../common/simd/scalar.h"
#include "harness.h"

namespace os::test {
namespace {

void test(Check&, const KernelTable&, const KernelTable&) {}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

void run(Check& check, const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
  const size_t n = a.size();
  std::vector<float> got(n), want(n);
  for (size_t i = 0; i < n; i++) {
    got[i] = simd::fused_multiply_add(a[i], b[i], c[i]);
    want[i] = std::fma(a[i], b[i], c[i]);
  }
  check.compare(got.data(), want.data(), n, Tolerance{0, 0.0f, true});
}

void spec(Check& check, const KernelTable&) {
  Rng rng(check.seed());
  constexpr size_t kCases = 1 << 16;
  std::vector<float> a(kCases), b(kCases), c(kCases);

  check.begin("special values", "every triple");
  const std::vector<float> special = special_values(true);
  a.clear(), b.clear(), c.clear();
  for (float x : special) {
    for (float y : special) {
      for (float z : special) a.push_back(x), b.push_back(y), c.push_back(z);
    }
  }
  run(check, a, b, c);

  a.resize(kCases), b.resize(kCases), c.resize(kCases);
  check.begin("random bits", "%zu triples", kCases);
  for (size_t i = 0; i < kCases; i++) a[i] = from_bits(rng.next()), b[i] = from_bits(rng.next()), c[i] = from_bits(rng.next());
  run(check, a, b, c);

  check.begin("uniform", "%zu triples in [-4, 4)", kCases);
  rng.fill(a.data(), kCases, -4, 4), rng.fill(b.data(), kCases, -4, 4), rng.fill(c.data(), kCases, -4, 4);
  run(check, a, b, c);

  // 24-bit integers times powers of two: exact products whose sums often fall halfway between two
  // floats, the case the library must decide.
  check.begin("halfway sums", "%zu triples", kCases);
  for (size_t i = 0; i < kCases; i++) {
    a[i] = static_cast<float>(rng.next() & 0xffffffu);
    b[i] = std::ldexp(1.0f, static_cast<int>(rng.below(40)) - 20);
    c[i] = std::ldexp(static_cast<float>(rng.next() & 0xffffffu), static_cast<int>(rng.below(60)) - 30);
    if (i & 1) c[i] = -c[i];
  }
  run(check, a, b, c);
}

const Register kRegister({"fma", {}, &test, &spec});

}  // namespace
}  // namespace os::test
