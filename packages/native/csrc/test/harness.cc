#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace os::test {

uint32_t Rng::next() {
  s_ ^= s_ >> 12;
  s_ ^= s_ << 25;
  s_ ^= s_ >> 27;
  return static_cast<uint32_t>((s_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Rng::uniform(float lo, float hi) {
  return lo + (hi - lo) * static_cast<float>(next() >> 8) * (1.0f / 16777216.0f);
}

void Rng::fill(float* p, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) p[i] = uniform(lo, hi);
}

std::vector<float> special_values(bool with_nan) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,    -0.0f,    1.0f,     -1.0f,   0.5f,     -2.5f,   1e-30f,   -1e-30f,
                          1e-40f,  -1e-40f,  FLT_MIN,  -FLT_MIN, 1e30f,   -1e30f,  FLT_MAX,  -FLT_MAX,
                          88.0f,   -88.0f,   100.0f,   -100.0f,  inf,     -inf};
  if (with_nan) v.push_back(std::numeric_limits<float>::quiet_NaN());
  return v;
}

const std::vector<size_t>& test_sizes() {
  static const std::vector<size_t> sizes = [] {
    std::vector<size_t> s;
    for (size_t n = 1; n <= 48; n++) s.push_back(n);
    for (size_t n : {63, 64, 65, 127, 255, 1000, 4099}) s.push_back(n);
    return s;
  }();
  return sizes;
}

namespace {

constexpr unsigned char kCanary = 0xA5;

// Allocation failures end the run: the wasm build has no exceptions.
[[noreturn]] void no_memory(const char* what) {
  std::fprintf(stderr, "kernel tests: %s failed\n", what);
  std::abort();
}

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

Guarded::Guarded(size_t n, size_t align) : n_(n) {
  const size_t page = page_size();
  // Room for the data, the alignment slack and at least 16 canary bytes before it.
  const size_t pages = (n * sizeof(float) + align + 16 + page - 1) / page;
  map_bytes_ = (pages + 1) * page;
  void* m = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) no_memory("mmap");
  map_ = static_cast<char*>(m);
  char* end = map_ + pages * page;
  if (mprotect(end, page, PROT_NONE) != 0) no_memory("mprotect");
  const auto start = reinterpret_cast<uintptr_t>(end - n * sizeof(float)) & ~static_cast<uintptr_t>(align - 1);
  data_ = reinterpret_cast<float*>(start);
  std::memset(map_, kCanary, pages * page);
}

Guarded::Guarded(const float* values, size_t n, size_t align) : Guarded(n, align) {
  std::memcpy(data_, values, n * sizeof(float));
}

Guarded::~Guarded() { munmap(map_, map_bytes_); }

void Guarded::protect() { mprotect(map_, map_bytes_ - page_size(), PROT_READ); }

bool Guarded::guard_ok() const {
  const char* begin = reinterpret_cast<const char*>(data_);
  const char* end = begin + n_ * sizeof(float);
  const char* stop = map_ + map_bytes_ - page_size();
  auto intact = [](const char* p, const char* q) {
    return std::all_of(p, q, [](char c) { return static_cast<unsigned char>(c) == kCanary; });
  };
  return intact(map_, begin) && intact(end, stop);
}

uint32_t ulp_distance(float a, float b) {
  const bool nan_a = std::isnan(a), nan_b = std::isnan(b);
  if (nan_a || nan_b) return nan_a && nan_b ? 0 : UINT32_MAX;
  if (a == b) return 0;  // also +0 == -0 and equal infinities
  if (std::isinf(a) || std::isinf(b)) return UINT32_MAX;
  // Map the sign-magnitude bit patterns onto one ordered integer line (-0 and +0 both to 0).
  auto ordered = [](float x) {
    int32_t i;
    std::memcpy(&i, &x, sizeof i);
    return i < 0 ? -static_cast<int64_t>(i & INT32_MAX) : static_cast<int64_t>(i);
  };
  const int64_t d = ordered(a) - ordered(b);
  return static_cast<uint32_t>(std::min<int64_t>(d < 0 ? -d : d, UINT32_MAX - 1));
}

namespace {

// The case running now, for the crash handler (which may only call async-signal-safe functions).
char g_case[512] = "(before the first case)";

void on_crash(int sig) {
  const char* what = sig == SIGSEGV ? "\nCRASH (SIGSEGV) in " : "\nCRASH (SIGBUS) in ";
  ssize_t ignored = write(2, what, std::strlen(what));
  ignored = write(2, g_case, std::strlen(g_case));
  const char* hint = "\n  a kernel read or wrote outside its buffers (or wrote to an input)\n";
  ignored = write(2, hint, std::strlen(hint));
  (void)ignored;
  _exit(1);
}

void describe(float x, char* out, size_t size) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  std::snprintf(out, size, "%.9g (0x%08x)", static_cast<double>(x), bits);
}

}  // namespace

void report_crashes() {
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

void Check::begin(const char* group, const char* fmt, ...) {
  group_ = group;
  char buf[256];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  case_ = buf;
  std::snprintf(g_case, sizeof g_case, "%s/%s %s: %s", family_, isa_, group, buf);
}

Check::Group& Check::current() {
  for (Group& g : groups_) {
    if (g.name == group_) return g;
  }
  groups_.emplace_back();
  groups_.back().name = group_;
  return groups_.back();
}

void Check::compare(const float* got, const float* want, size_t n, const Tolerance& tol) {
  Group& g = current();
  g.tol = tol;
  g.cases++;
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t ulps = ulp_distance(got[i], want[i]);
    const double abs = ulps == UINT32_MAX ? HUGE_VAL
                       : ulps == 0        ? 0.0
                                          : std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    bool ok = ulps <= tol.ulps || abs <= tol.abs;
    if (tol.signed_zero && got[i] == 0.0f && want[i] == 0.0f && std::signbit(got[i]) != std::signbit(want[i])) {
      ok = false;
    }
    // Elements within the absolute tolerance (results near 0, subnormals) pass whatever their ulps.
    if (!(abs <= tol.abs)) g.worst_ulps = std::max(g.worst_ulps, ulps);
    g.worst_abs = std::max(g.worst_abs, abs);
    if (!ok && bad++ == 0) first = i;
  }
  if (bad == 0) return;
  if (g.failures++ < 3) {
    char a[64], b[64];
    describe(got[first], a, sizeof a);
    describe(want[first], b, sizeof b);
    std::printf("  FAIL %s/%s %s, %s: %zu of %zu elements off; [%zu] = %s, scalar %s\n", family_, isa_,
                g.name.c_str(), case_.c_str(), bad, n, first, a, b);
  }
}

void Check::expect(bool ok, const char* what) {
  Group& g = current();
  g.cases++;
  if (ok) return;
  if (g.failures++ < 3) {
    std::printf("  FAIL %s/%s %s, %s: %s\n", family_, isa_, g.name.c_str(), case_.c_str(), what);
  }
}

size_t Check::failures() const {
  size_t n = 0;
  for (const Group& g : groups_) n += g.failures;
  return n;
}

void Check::print() const {
  for (const Group& g : groups_) {
    char worst[64], tol[64];
    if (g.worst_ulps == UINT32_MAX) {
      std::snprintf(worst, sizeof worst, "NaN/inf mismatch");
    } else {
      std::snprintf(worst, sizeof worst, "%u ulp, %.3g abs", g.worst_ulps, g.worst_abs);
    }
    std::snprintf(tol, sizeof tol, "%u ulp%s", g.tol.ulps, g.tol.signed_zero ? ", signed 0" : "");
    if (g.tol.abs > 0) {
      const size_t len = std::strlen(tol);
      std::snprintf(tol + len, sizeof tol - len, " or %.3g abs", static_cast<double>(g.tol.abs));
    }
    std::printf("  %-8s %-8s %-16s %6zu cases  worst %-24s tol %-22s %s\n", family_, isa_, g.name.c_str(), g.cases,
                worst, tol, g.failures ? "FAIL" : "ok");
  }
}

namespace {
std::vector<Family>& registry() {
  static std::vector<Family> r;
  return r;
}
}  // namespace

Register::Register(Family family) { registry().push_back(std::move(family)); }

const std::vector<Family>& families() { return registry(); }

bool fused_multiply_add(const KernelTable& isa) { return isa.isa != Isa::wasmsimd; }

Tolerance same_operations(const KernelTable& isa, const Tolerance& exact, const Tolerance& bound) {
  if (fused_multiply_add(isa)) return exact;
  return Tolerance{2 * bound.ulps, 2 * bound.abs, false};
}

bool plane3x3(size_t i, size_t w, size_t stride, size_t pad, Plane3x3& plane) {
  plane.h = 1 + i % 9;
  plane.w = w;
  plane.pt = (pad + i) % 3;
  plane.pl = pad;
  const size_t ph = plane.h + 2 * plane.pt, pw = plane.w + 2 * plane.pl;
  if (ph < 3 || pw < 3) return false;
  plane.oh = (ph - 3) / stride + 1 - (i % 3 == 2 && (ph - 3) / stride > 0 ? 1 : 0);
  plane.ow = (pw - 3) / stride + 1 - (i % 3 == 1 && (pw - 3) / stride > 0 ? 1 : 0);
  return true;
}

const int kActivations[5] = {-1, static_cast<int>(UnaryOp::relu), static_cast<int>(UnaryOp::sigmoid),
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

float half_exact_value(Rng& rng, bool integers) {
  return integers ? static_cast<float>(static_cast<int>(rng.below(9)) - 4)
                  : static_cast<float>(static_cast<int>(rng.below(2049)) - 1024) / 1024.0f;
}

uint16_t half_bits(float v) {
  if (v == 0.0f) return std::signbit(v) ? 0x8000u : 0;
  int e;
  const float frac = std::frexp(std::fabs(v), &e);
  auto h = static_cast<uint16_t>(((e - 1 + 15) << 10) | (static_cast<uint32_t>(frac * 2048.0f) & 0x3ffu));
  return v < 0 ? static_cast<uint16_t>(h | 0x8000u) : h;
}

}  // namespace os::test
