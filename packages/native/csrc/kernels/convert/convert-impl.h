// Conversions: F16C on x86 (the AVX2 and AVX-512 tables are built with -mf16c), FCVT on AArch64,
// bit manipulation elsewhere (the scalar specification). The quantisers divide and round in
// float32 vectors; the 8-bit loads and stores go through a small float buffer.
#pragma once
#include <cstring>
#include <type_traits>

#include "convert.h"

#if defined(__F16C__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace os::simd {
struct Neon;
}  // namespace os::simd

namespace os::impl {

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise the mantissa into a float32 normal.
    int e = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      e--;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u));
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const uint32_t shift = static_cast<uint32_t>(14 - e);
    const uint32_t half = 1u << (shift - 1);
    uint32_t r = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    if (rem > half || (rem == half && (r & 1u))) r++;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = mant >> 13;
  const uint32_t rem = mant & 0x1fffu;
  // Rounding up may carry into the exponent (and to infinity), which the sum below does naturally.
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
  return static_cast<uint16_t>(sign + ((static_cast<uint32_t>(e) << 10) + r));
}

template <class S>
void f16_to_f32(size_t n, const uint16_t* x, float* y) {
  size_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
  }
#endif
#if defined(__aarch64__)
  if constexpr (std::is_same_v<S, simd::Neon>) {
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))));
  }
#endif
  for (; i < n; i++) y[i] = half_to_float(x[i]);
}

template <class S>
void f32_to_f16(size_t n, const float* x, uint16_t* y) {
  size_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
#endif
#if defined(__aarch64__)
  if constexpr (std::is_same_v<S, simd::Neon>) {
    for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  }
#endif
  for (; i < n; i++) y[i] = float_to_half(x[i]);
}

// Clamps and stores one vector of rounded values (tail: the first n). NaN is 0, like the reference.
template <class S, class T>
inline void store_quantized(typename S::V v, size_t n, T* y, float lo, float hi) {
  alignas(64) float q[S::N];
  S::store(q, v);
  for (size_t j = 0; j < n; j++) {
    const float f = q[j];
    y[j] = f != f ? T(0) : static_cast<T>(f < lo ? lo : f > hi ? hi : f);
  }
}

template <class S, class T>
void quantize_as(size_t n, const float* x, T* y, float scale, float zero_point, float lo, float hi) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const V s = S::set1(scale), z = S::set1(zero_point);
  size_t i = 0;
  for (; i + N <= n; i += N) store_quantized<S>(S::add(S::round(S::div(S::load(x + i), s)), z), N, y + i, lo, hi);
  if (i < n) store_quantized<S>(S::add(S::round(S::div(S::load_tail(x + i, n - i), s)), z), n - i, y + i, lo, hi);
}

template <class S>
void quantize(QuantType type, size_t n, const float* x, void* y, float scale, float zero_point) {
  if (type == QuantType::u8) return quantize_as<S>(n, x, static_cast<uint8_t*>(y), scale, zero_point, 0.0f, 255.0f);
  quantize_as<S>(n, x, static_cast<int8_t*>(y), scale, zero_point, -128.0f, 127.0f);
}

template <class S, class T>
void dequantize_as(size_t n, const T* x, float* y, float scale, float zero_point) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const V s = S::set1(scale), z = S::set1(zero_point);
  alignas(64) float v[N] = {};
  for (size_t i = 0; i < n; i += N) {
    const size_t m = n - i < N ? n - i : N;
    for (size_t j = 0; j < m; j++) v[j] = static_cast<float>(x[i + j]);
    const V r = S::mul(S::sub(S::load(v), z), s);
    if (m == N) S::store(y + i, r);
    else S::store_tail(y + i, r, m);
  }
}

template <class S>
void dequantize(QuantType type, size_t n, const void* x, float* y, float scale, float zero_point) {
  if (type == QuantType::u8) return dequantize_as<S>(n, static_cast<const uint8_t*>(x), y, scale, zero_point);
  dequantize_as<S>(n, static_cast<const int8_t*>(x), y, scale, zero_point);
}

}  // namespace os::impl
