// Test adapter for convert (kernels/convert): f16_to_f32 on every one of the 65536 half bit patterns
// (at every lane offset) and on every test size; f32_to_f16 on every half value, every midpoint
// between two neighbours (ties, to even) and the floats either side of it, float subnormals,
// overflow to infinity, NaN and random values; quantize (uint8 and int8, saturation on both sides,
// exact ties, NaN to 0, +-inf, the special values after 0..16 others: at every lane of the 8- and
// 16-value register blocks and in the tails) and dequantize (every byte value), with several scales
// and zero points. Every conversion is exact or correctly rounded, so every ISA must match the scalar
// table and the definitions in double precision bit for bit (NaN: any NaN). Outputs end right before
// a guard page.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/convert/convert.h"
#include "harness.h"

namespace os::test {
namespace {

constexpr Tolerance kExactSigned{0, 0.0f, true};
constexpr unsigned char kCanary = 0xA5;  // what Guarded fills its memory with

// `count` elements of T ending right before a guard page (inside a Guarded buffer of floats).
template <class T>
class GuardedArray {
 public:
  explicit GuardedArray(size_t count) : g_((count * sizeof(T) + 3) / 4) {
    p_ = reinterpret_cast<T*>(reinterpret_cast<char*>(g_.data()) + g_.size() * 4 - count * sizeof(T));
  }
  GuardedArray(const T* values, size_t count) : GuardedArray(count) { std::memcpy(p_, values, count * sizeof(T)); }
  T* data() { return p_; }
  void protect() { g_.protect(); }
  // The canaries before the array (in the Guarded buffer's first word, and before it) are intact.
  bool guard_ok() const {
    const auto* start = reinterpret_cast<const unsigned char*>(g_.data());
    for (const auto* b = start; b < reinterpret_cast<const unsigned char*>(p_); b++) {
      if (*b != kCanary) return false;
    }
    return g_.guard_ok();
  }

 private:
  Guarded g_;
  T* p_;
};

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Integers (half bits, quantised bytes) as floats for Check::compare: exact below 2^24.
template <class T>
std::vector<float> as_floats(const T* x, size_t n) {
  return std::vector<float>(x, x + n);
}

// The value of half bits, from IEEE 754's definition (independent of the kernels' bit manipulation).
double half_value(uint16_t h) {
  const double sign = h & 0x8000u ? -1.0 : 1.0;
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e == 0x1f) return m ? NAN : sign * HUGE_VAL;
  if (e == 0) return sign * std::ldexp(m, -24);
  return sign * std::ldexp(1024 + m, e - 25);
}

// x rounded to the nearest half (ties to even), as a value: infinity from 65520 (the midpoint past
// 65504) on, steps of 2^-24 below 2^-14 (subnormals), else 11 significant bits.
double round_to_half(double x) {
  if (std::isnan(x)) return NAN;
  const double a = std::fabs(x);
  if (a >= 65520.0) return std::copysign(HUGE_VAL, x);
  int e;
  std::frexp(a, &e);  // a = f 2^e, f in [0.5, 1)
  const double quantum = a < 0x1p-14 ? 0x1p-24 : std::ldexp(1.0, e - 11);
  return std::copysign(std::nearbyint(a / quantum) * quantum, x);
}

// Inputs for f32_to_f16: every finite half value and infinity, each midpoint to the next half and the
// floats next to it on both sides, on both signs; then floats past the half range, float subnormals,
// NaNs with payloads, random values.
std::vector<float> f32_inputs(Rng& rng) {
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x7c00; h++) {
    const double v = half_value(static_cast<uint16_t>(h));
    const double next = h + 1 == 0x7c00 ? 65536.0 : half_value(static_cast<uint16_t>(h + 1));
    const auto mid = static_cast<float>((v + next) / 2);  // 12 significant bits: exact
    for (float f : {static_cast<float>(v), mid, std::nextafter(mid, 0.0f), std::nextafter(mid, HUGE_VALF)}) {
      x.push_back(f);
      x.push_back(-f);
    }
  }
  const float more[] = {65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e5f, FLT_MAX, HUGE_VALF, -HUGE_VALF,
                        0x1p-25f, std::nextafter(0x1p-25f, 1.0f), 0x1p-26f, 1e-40f, -1e-40f, FLT_MIN,
                        from_bits(0x00000001u), std::numeric_limits<float>::quiet_NaN(), from_bits(0x7fc00123u),
                        from_bits(0x7f800001u), from_bits(0xffbfffffu), from_bits(0x7f802000u)};
  x.insert(x.end(), std::begin(more), std::end(more));
  for (size_t i = 0; i < 4096; i++) x.push_back(rng.uniform(-70000, 70000) * (i % 2 ? 1.0f : 1e-4f));
  return x;
}

void f16_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<uint16_t>& h,
              const char* what) {
  const size_t n = h.size();
  GuardedArray<uint16_t> x(h.data(), n);
  x.protect();
  Guarded want(n), y(n);
  std::vector<float> def(n);
  for (size_t i = 0; i < n; i++) def[i] = static_cast<float>(half_value(h[i]));
  check.begin("f16_to_f32", "%s, n=%zu", what, n);
  scalar.f16_to_f32(n, x.data(), want.data());
  isa.f16_to_f32(n, x.data(), y.data());
  check.compare(y.data(), want.data(), n, kExactSigned);
  check.expect(y.guard_ok(), "wrote before its output");
  check.begin("f16_to_f32 vs definition", "%s, n=%zu", what, n);
  check.compare(y.data(), def.data(), n, kExactSigned);
}

void f32_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<float>& values,
              const char* what) {
  const size_t n = values.size();
  Guarded x(values.data(), n);
  x.protect();
  GuardedArray<uint16_t> want(n), y(n);
  check.begin("f32_to_f16", "%s, n=%zu", what, n);
  scalar.f32_to_f16(n, x.data(), want.data());
  isa.f32_to_f16(n, x.data(), y.data());
  // The half bits themselves (as integers), NaN payloads included.
  check.compare(as_floats(y.data(), n).data(), as_floats(want.data(), n).data(), n, Tolerance{});
  check.expect(y.guard_ok(), "wrote outside its output");
  std::vector<float> got(n), def(n);
  for (size_t i = 0; i < n; i++) {
    got[i] = static_cast<float>(half_value(y.data()[i]));
    def[i] = static_cast<float>(round_to_half(values[i]));
  }
  check.begin("f32_to_f16 vs definition", "%s, n=%zu", what, n);
  check.compare(got.data(), def.data(), n, kExactSigned);
}

// Half patterns: all of them after a random prefix of `shift` (every pattern in every lane and tail).
std::vector<uint16_t> all_halves(Rng& rng, size_t shift) {
  std::vector<uint16_t> h;
  for (size_t i = 0; i < shift; i++) h.push_back(static_cast<uint16_t>(rng.next()));
  for (uint32_t v = 0; v < 0x10000; v++) h.push_back(static_cast<uint16_t>(v));
  return h;
}

struct QuantParams {
  QuantType type;
  float scale, zero;
};

std::vector<QuantParams> quant_params(Rng& rng) {
  std::vector<QuantParams> list;
  for (QuantType type : {QuantType::u8, QuantType::s8}) {
    const bool u8 = type == QuantType::u8;
    const float lo = u8 ? 0.0f : -128.0f, hi = u8 ? 255.0f : 127.0f;
    // Powers of two make x / scale exact: the ties below are exact ties.
    list.push_back({type, 0.25f, u8 ? 128.0f : 0.0f});
    list.push_back({type, 1.0f, lo});
    list.push_back({type, rng.uniform(0.001f, 2), std::nearbyint(rng.uniform(lo, hi))});
    list.push_back({type, rng.uniform(1e-5f, 1e-3f), hi});
  }
  return list;
}

// The definition: the quotient x / scale in float32 (the kernel's definition, and onnxruntime's;
// float32 division is correctly rounded, so the double quotient rounded to float32 is the same), then
// rounded half to even, plus the zero point, saturated; NaN becomes 0.
float quantize_definition(float x, const QuantParams& p) {
  if (std::isnan(x)) return 0.0f;
  const float q = static_cast<float>(static_cast<double>(x) / p.scale);
  const double v = std::nearbyint(static_cast<double>(q)) + p.zero;
  const double lo = p.type == QuantType::u8 ? 0 : -128, hi = p.type == QuantType::u8 ? 255 : 127;
  return static_cast<float>(std::min(hi, std::max(lo, v)));
}

std::vector<float> quant_inputs(Rng& rng, const QuantParams& p, size_t n) {
  const float lo = p.type == QuantType::u8 ? 0.0f : -128.0f, hi = p.type == QuantType::u8 ? 255.0f : 127.0f;
  std::vector<float> x(n);
  // Past both saturation points, and exact ties (k + 0.5) scale for a third of the values.
  rng.fill(x.data(), n, (lo - p.zero - 20) * p.scale, (hi - p.zero + 20) * p.scale);
  for (size_t i = 0; i < n; i += 3) x[i] = (std::floor(x[i] / p.scale) + 0.5f) * p.scale;
  return x;
}

// Bytes of the quantised values, as integers.
std::vector<float> quantized(QuantType type, const uint8_t* y, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = type == QuantType::u8 ? y[i] : static_cast<float>(static_cast<int8_t>(y[i]));
  return v;
}

void quantize_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<float>& values,
                   const QuantParams& p, const char* what) {
  const size_t n = values.size();
  Guarded x(values.data(), n);
  x.protect();
  GuardedArray<uint8_t> want(n), y(n);
  const char* group = p.type == QuantType::u8 ? "quantize u8" : "quantize s8";
  check.begin(group, "%s, n=%zu scale=%g zero=%g", what, n, static_cast<double>(p.scale), static_cast<double>(p.zero));
  scalar.quantize(p.type, n, x.data(), want.data(), p.scale, p.zero);
  isa.quantize(p.type, n, x.data(), y.data(), p.scale, p.zero);
  const std::vector<float> got = quantized(p.type, y.data(), n);
  check.compare(got.data(), quantized(p.type, want.data(), n).data(), n, Tolerance{});
  check.expect(y.guard_ok(), "wrote outside its output");
  std::vector<float> def(n);
  for (size_t i = 0; i < n; i++) def[i] = quantize_definition(values[i], p);
  check.begin(p.type == QuantType::u8 ? "quantize u8 vs double" : "quantize s8 vs double", "%s, n=%zu scale=%g", what,
              n, static_cast<double>(p.scale));
  check.compare(got.data(), def.data(), n, Tolerance{});
}

// (x - zero) * scale: the difference is an exact small integer, so the float product is the exact
// product rounded once, as the double definition rounded to float.
void dequantize_case(Check& check, const KernelTable& isa, const KernelTable& scalar, const std::vector<uint8_t>& bytes,
                     const QuantParams& p, const char* what) {
  const size_t n = bytes.size();
  GuardedArray<uint8_t> x(bytes.data(), n);
  x.protect();
  Guarded want(n), y(n);
  const char* group = p.type == QuantType::u8 ? "dequantize u8" : "dequantize s8";
  check.begin(group, "%s, n=%zu scale=%g zero=%g", what, n, static_cast<double>(p.scale), static_cast<double>(p.zero));
  scalar.dequantize(p.type, n, x.data(), want.data(), p.scale, p.zero);
  isa.dequantize(p.type, n, x.data(), y.data(), p.scale, p.zero);
  check.compare(y.data(), want.data(), n, kExactSigned);
  check.expect(y.guard_ok(), "wrote before its output");
  const std::vector<float> q = quantized(p.type, bytes.data(), n);
  std::vector<float> def(n);
  for (size_t i = 0; i < n; i++) def[i] = static_cast<float>((static_cast<double>(q[i]) - p.zero) * p.scale);
  check.begin(p.type == QuantType::u8 ? "dequantize u8 vs double" : "dequantize s8 vs double", "%s, n=%zu", what, n);
  check.compare(y.data(), def.data(), n, kExactSigned);
}

void test(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (size_t shift = 0; shift < 8; shift++) f16_case(check, isa, scalar, all_halves(rng, shift), "every half");
  for (size_t n : test_sizes()) {
    std::vector<uint16_t> h(n);
    for (uint16_t& v : h) v = static_cast<uint16_t>(rng.next());
    f16_case(check, isa, scalar, h, "random");
  }
  const std::vector<float> all = f32_inputs(rng);
  for (size_t shift = 0; shift < 8; shift++) {
    f32_case(check, isa, scalar, std::vector<float>(all.begin() + static_cast<ptrdiff_t>(shift), all.end()), "every half");
  }
  for (size_t n : test_sizes()) {
    std::vector<float> x(n);
    for (size_t i = 0; i < n; i++) x[i] = all[rng.below(all.size())];
    f32_case(check, isa, scalar, x, "sampled");
  }
  std::vector<float> special = special_values(true);
  special.push_back(from_bits(0x7f800001u));  // a signalling NaN
  for (const QuantParams& p : quant_params(rng)) {
    for (size_t n : test_sizes()) quantize_case(check, isa, scalar, quant_inputs(rng, p, n), p, "random");
    for (size_t shift = 0; shift <= 16; shift++) {
      std::vector<float> x = quant_inputs(rng, p, shift);
      x.insert(x.end(), special.begin(), special.end());
      quantize_case(check, isa, scalar, x, p, "special values");
    }
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < 256 + 7; i++) bytes.push_back(static_cast<uint8_t>(i));
    dequantize_case(check, isa, scalar, bytes, p, "every byte");
    for (size_t n : test_sizes()) {
      std::vector<uint8_t> b(n);
      for (uint8_t& v : b) v = static_cast<uint8_t>(rng.next());
      dequantize_case(check, isa, scalar, b, p, "random");
    }
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  const std::vector<uint16_t> h = all_halves(rng, 0);
  std::vector<float> got(h.size()), def(h.size());
  for (size_t i = 0; i < h.size(); i++) def[i] = static_cast<float>(half_value(h[i]));
  check.begin("f16_to_f32", "against the definition: every half");
  scalar.f16_to_f32(h.size(), h.data(), got.data());
  check.compare(got.data(), def.data(), h.size(), kExactSigned);
  const std::vector<float> x = f32_inputs(rng);
  std::vector<uint16_t> bits(x.size());
  scalar.f32_to_f16(x.size(), x.data(), bits.data());
  got.resize(x.size());
  def.resize(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    got[i] = static_cast<float>(half_value(bits[i]));
    def[i] = static_cast<float>(round_to_half(x[i]));
  }
  check.begin("f32_to_f16", "against the definition: every half, midpoints and neighbours");
  check.compare(got.data(), def.data(), x.size(), kExactSigned);
  for (const QuantParams& p : quant_params(rng)) {
    std::vector<float> in = quant_inputs(rng, p, 4096);
    const std::vector<float> special = special_values(true);
    in.insert(in.end(), special.begin(), special.end());
    std::vector<uint8_t> q(in.size());
    scalar.quantize(p.type, in.size(), in.data(), q.data(), p.scale, p.zero);
    std::vector<float> want(in.size());
    for (size_t i = 0; i < in.size(); i++) want[i] = quantize_definition(in[i], p);
    check.begin(p.type == QuantType::u8 ? "quantize u8" : "quantize s8", "against the definition: scale=%g zero=%g",
                static_cast<double>(p.scale), static_cast<double>(p.zero));
    check.compare(quantized(p.type, q.data(), q.size()).data(), want.data(), in.size(), Tolerance{});
  }
}

const Register kRegister({"convert",
                          {field(&KernelTable::f16_to_f32), field(&KernelTable::f32_to_f16), field(&KernelTable::quantize),
                           field(&KernelTable::dequantize)},
                          &test,
                          &spec});

}  // namespace
}  // namespace os::test
