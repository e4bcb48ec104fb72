// The kernel test harness: each kernel family has a test adapter that runs one ISA's KernelTable and
// the scalar table on the same inputs and compares the results (XNNPACK's microkernel testers, without
// a framework). main.cc runs every adapter on every ISA table this machine runs. See README.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../dispatch/kernels.h"

namespace os::test {

// Deterministic pseudo-random numbers (xorshift64*): a failure reproduces from the seed it prints.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next();
  // Uniform in [lo, hi).
  float uniform(float lo, float hi);
  size_t below(size_t n) { return next() % n; }
  void fill(float* p, size_t n, float lo, float hi);

 private:
  uint64_t s_;
};

// Inputs every elementwise kernel should meet: +-0, +-1, subnormals, FLT_MIN/FLT_MAX, large values,
// +-inf and, when `with_nan`, a quiet NaN.
std::vector<float> special_values(bool with_nan);

// Sizes to run a kernel on: every n in 1..48 (covers one to three vectors of every ISA plus each
// tail), then a few long runs with odd tails.
const std::vector<size_t>& test_sizes();

// A float buffer whose last element sits right before an inaccessible page, so a kernel reading or
// writing one element past the end crashes (reported by the harness) instead of passing by luck. The
// start is aligned to `align` bytes only, as callers promise no more. Elements before the start are
// canaries that guard_ok() checks.
class Guarded {
 public:
  explicit Guarded(size_t n, size_t align = alignof(float));
  Guarded(const float* values, size_t n, size_t align = alignof(float));
  ~Guarded();
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return n_; }
  float& operator[](size_t i) { return data_[i]; }
  // Makes the buffer read-only: a kernel writing to an input crashes (reported by the harness).
  void protect();
  bool guard_ok() const;

 private:
  char* map_ = nullptr;
  size_t map_bytes_ = 0;
  float* data_ = nullptr;
  size_t n_ = 0;
};

// How close a result must be to the scalar table's. An element passes when it is within `ulps` units
// in the last place or within `abs`. +0 and -0 are equal unless `signed_zero`. NaN must meet NaN.
struct Tolerance {
  uint32_t ulps = 0;
  float abs = 0.0f;
  bool signed_zero = false;
};

// Units in the last place between two floats (0 for +0/-0 and for two NaNs; UINT32_MAX when only
// one is NaN or they are different infinities or an infinity and a number).
uint32_t ulp_distance(float a, float b);

// Collects the results of one family on one ISA: the worst error per group (an operation, a mode),
// printed as one line each by the runner, and the failures, the first few of each group in detail.
class Check {
 public:
  Check(const char* family, const char* isa, uint64_t seed) : family_(family), isa_(isa), seed_(seed) {}

  // The seed for the adapter's Rng (--seed): every ISA sees the same inputs.
  uint64_t seed() const { return seed_; }
  // Names the case about to run, printf style; a crash inside the kernel reports it.
  void begin(const char* group, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  // Compares got[0..n) with want[0..n) under `tol` for the current case.
  void compare(const float* got, const float* want, size_t n, const Tolerance& tol);
  // A non-numeric condition of the current case (canaries intact, input untouched, ...).
  void expect(bool ok, const char* what);

  size_t failures() const;
  // One line per group: cases, worst error (ulps over the elements outside the absolute tolerance),
  // tolerance, ok/FAIL.
  void print() const;

 private:
  struct Group {
    std::string name;
    size_t cases = 0;
    size_t failures = 0;
    uint32_t worst_ulps = 0;
    double worst_abs = 0.0;
    Tolerance tol;
  };
  Group& current();

  const char* family_;
  const char* isa_;
  uint64_t seed_;
  std::vector<Group> groups_;
  std::string group_;
  std::string case_;
};

// A kernel family's test adapter. `test` compares the `isa` table with the `scalar` one; `spec`
// (optional) checks the scalar table itself against a plain double-precision definition, since every
// ISA is compared with it. `fields` are the KernelTable members the adapter covers (field()).
struct Family {
  const char* name;
  std::vector<size_t> fields;
  void (*test)(Check& check, const KernelTable& isa, const KernelTable& scalar);
  void (*spec)(Check& check, const KernelTable& scalar);
};

// The offset of a KernelTable member, to list it in Family::fields.
template <class M>
size_t field(M KernelTable::*member) {
  static const KernelTable probe{};
  return static_cast<size_t>(reinterpret_cast<const char*>(&(probe.*member)) - reinterpret_cast<const char*>(&probe));
}

// Adds a family to the harness at static initialisation: one `const Register` per adapter file.
struct Register {
  explicit Register(Family family);
};
const std::vector<Family>& families();

// Makes a crash (SIGSEGV/SIGBUS) print the case Check::begin named last, then exit with status 1.
void report_crashes();

// Whether `isa`'s multiply-add rounds once, like the scalar table's std::fma. SIMD128 has no fused
// multiply-add: it rounds the product too, so results the adapters expect bit for bit differ there.
bool fused_multiply_add(const KernelTable& isa);

// The tolerance against scalar for results every ISA computes with the same operations: `exact` where
// the ISA fuses multiply-adds like scalar; otherwise both tables are only within `bound` of the
// double-precision definition (the adapter checks each against it), so within twice it.
Tolerance same_operations(const KernelTable& isa, const Tolerance& exact, const Tolerance& bound);

// The plane of case i of a 3x3 kernel's tests: w columns, 1 + i % 9 rows, top padding (pad + i) % 3,
// left padding `pad`, the output as large as the padded input allows at `stride`, one row (i % 3 ==
// 2) or column (i % 3 == 1) fewer where one remains (input the convolution does not reach). False
// when the padded plane is smaller than the kernel.
struct Plane3x3 {
  size_t h, w, pt, pl, oh, ow;
};
bool plane3x3(size_t i, size_t w, size_t stride, size_t pad, Plane3x3& plane);

// The activations kernels fuse (-1: none), and each one in double precision for references.
extern const int kActivations[5];
double activate(int activation, double x);

// Inputs of the float16 GEMM tests: small integers in [-4, 4] (`integers`), or multiples of 2^-10 in
// [-1, 1]; both exact in float16. half_bits: the float16 bits of such a value (normal or zero).
float half_exact_value(Rng& rng, bool integers);
uint16_t half_bits(float v);

}  // namespace os::test
