// Conversions: F16C on x86 (the AVX2 and AVX-512 tables are built with -mf16c), FCVT on AArch64,
// bit manipulation elsewhere (the scalar specification). The quantisers divide and round in
// float32 vectors; AVX2, AVX-512, NEON and SIMD128 then clamp and narrow to bytes (and widen bytes
// to floats) in registers, the other ISAs and every tail through a small float buffer. Both do the
// same float32 operations, so every ISA gives the scalar table's bits.
#pragma once
#include <cstring>
#include <type_traits>

#include "convert.h"

#if defined(__F16C__) || defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace os::simd {
struct Avx2;
struct Avx512;
struct Neon;
struct WasmSimd;
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

// Whole blocks of quantize_as in registers: the same quotient, rounding and zero point, then NaN to
// 0, saturation to [lo, hi] (exact integers from here on) and narrowing. Returns the elements done.
template <class S, class T>
size_t quantize_blocks(size_t n, const float* x, T* y, float scale, float zero_point, float lo, float hi) {
  [[maybe_unused]] constexpr bool u8 = std::is_same_v<T, uint8_t>;
  size_t i = 0;
  [[maybe_unused]] const auto rounded = [&](const float* p) {
    return S::add(S::round(S::div(S::load(p), S::set1(scale))), S::set1(zero_point));
  };
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, simd::Avx512>) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (; i + 16 <= n; i += 16) {
      __m512 t = rounded(x + i);
      t = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(t, t, _CMP_ORD_Q), t);
      const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(t, vlo), vhi));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), u8 ? _mm512_cvtusepi32_epi8(q) : _mm512_cvtsepi32_epi8(q));
    }
    return i;
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<S, simd::Avx2>) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (; i + 8 <= n; i += 8) {
      __m256 t = rounded(x + i);
      t = _mm256_and_ps(t, _mm256_cmp_ps(t, t, _CMP_ORD_Q));
      const __m256i q = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(t, vlo), vhi));
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), u8 ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w));
    }
    return i;
  }
#endif
#if defined(__aarch64__)
  if constexpr (std::is_same_v<S, simd::Neon>) {
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    const auto ints = [&](const float* p) {
      float32x4_t t = rounded(p);
      t = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(t), vceqq_f32(t, t)));
      return vcvtq_s32_f32(vminq_f32(vmaxq_f32(t, vlo), vhi));
    };
    for (; i + 8 <= n; i += 8) {
      const int16x8_t w = vcombine_s16(vmovn_s32(ints(x + i)), vmovn_s32(ints(x + i + 4)));
      if constexpr (u8) {
        vst1_u8(y + i, vmovn_u16(vreinterpretq_u16_s16(w)));
      } else {
        vst1_s8(y + i, vmovn_s16(w));
      }
    }
    return i;
  }
#endif
#if defined(__wasm_simd128__)
  if constexpr (std::is_same_v<S, simd::WasmSimd>) {
    const v128_t vlo = wasm_f32x4_splat(lo), vhi = wasm_f32x4_splat(hi);
    const auto ints = [&](const float* p) {
      v128_t t = rounded(p);
      t = wasm_v128_and(t, wasm_f32x4_eq(t, t));
      return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_pmin(wasm_f32x4_pmax(t, vlo), vhi));
    };
    for (; i + 8 <= n; i += 8) {
      const v128_t w = wasm_i16x8_narrow_i32x4(ints(x + i), ints(x + i + 4));
      wasm_v128_store64_lane(y + i, u8 ? wasm_u8x16_narrow_i16x8(w, w) : wasm_i8x16_narrow_i16x8(w, w), 0);
    }
    return i;
  }
#endif
  return i;
}

template <class S, class T>
void quantize_as(size_t n, const float* x, T* y, float scale, float zero_point, float lo, float hi) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const V s = S::set1(scale), z = S::set1(zero_point);
  size_t i = quantize_blocks<S>(n, x, y, scale, zero_point, lo, hi);
  for (; i + N <= n; i += N) store_quantized<S>(S::add(S::round(S::div(S::load(x + i), s)), z), N, y + i, lo, hi);
  if (i < n) store_quantized<S>(S::add(S::round(S::div(S::load_tail(x + i, n - i), s)), z), n - i, y + i, lo, hi);
}

template <class S>
void quantize(QuantType type, size_t n, const float* x, void* y, float scale, float zero_point) {
  if (type == QuantType::u8) return quantize_as<S>(n, x, static_cast<uint8_t*>(y), scale, zero_point, 0.0f, 255.0f);
  quantize_as<S>(n, x, static_cast<int8_t*>(y), scale, zero_point, -128.0f, 127.0f);
}

// Whole blocks of dequantize_as with the bytes widened to floats in registers. Returns the elements done.
template <class S, class T>
size_t dequantize_blocks(size_t n, const T* x, float* y, float scale, float zero_point) {
  [[maybe_unused]] constexpr bool u8 = std::is_same_v<T, uint8_t>;
  size_t i = 0;
  [[maybe_unused]] const auto finish = [&](float* p, typename S::V f) {
    S::store(p, S::mul(S::sub(f, S::set1(zero_point)), S::set1(scale)));
  };
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, simd::Avx512>) {
    for (; i + 16 <= n; i += 16) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
      finish(y + i, _mm512_cvtepi32_ps(u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b)));
    }
    return i;
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<S, simd::Avx2>) {
    for (; i + 8 <= n; i += 8) {
      const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i));
      finish(y + i, _mm256_cvtepi32_ps(u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b)));
    }
    return i;
  }
#endif
#if defined(__aarch64__)
  if constexpr (std::is_same_v<S, simd::Neon>) {
    for (; i + 8 <= n; i += 8) {
      int16x8_t w;
      if constexpr (u8) {
        w = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(x + i)));
      } else {
        w = vmovl_s8(vld1_s8(x + i));
      }
      finish(y + i, vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))));
      finish(y + i + 4, vcvtq_f32_s32(vmovl_high_s16(w)));
    }
    return i;
  }
#endif
#if defined(__wasm_simd128__)
  if constexpr (std::is_same_v<S, simd::WasmSimd>) {
    for (; i + 8 <= n; i += 8) {
      const v128_t w = u8 ? wasm_u16x8_load8x8(x + i) : wasm_i16x8_load8x8(x + i);
      finish(y + i, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w)));
      finish(y + i + 4, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w)));
    }
    return i;
  }
#endif
  return i;
}

template <class S, class T>
void dequantize_as(size_t n, const T* x, float* y, float scale, float zero_point) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  const V s = S::set1(scale), z = S::set1(zero_point);
  alignas(64) float v[N] = {};
  for (size_t i = dequantize_blocks<S>(n, x, y, scale, zero_point); i < n; i += N) {
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
