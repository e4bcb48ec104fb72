// AArch64 Advanced SIMD: 4 floats.
#pragma once
#include <arm_neon.h>

#include <cstddef>
#include <cstring>

namespace os::simd {

struct Neon {
  using V = float32x4_t;
  static constexpr int N = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static V load_tail(const float* p, size_t n) {
    float t[4] = {0, 0, 0, 0};
    std::memcpy(t, p, n * sizeof(float));
    return vld1q_f32(t);
  }
  static void store_tail(float* p, V v, size_t n) {
    float t[4];
    vst1q_f32(t, v);
    std::memcpy(p, t, n * sizeof(float));
  }
  // The first U lanes (a power of two below N).
  template <size_t U>
  static void store_first(float* p, V v) {
    if constexpr (U == 2) {
      vst1_f32(p, vget_low_f32(v));
    } else {
      static_assert(U == 1);
      vst1q_lane_f32(p, v, 0);
    }
  }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  // NaN in the first operand propagates (vmax/vmin propagate either; b is never NaN where it matters).
  static V min(V a, V b) { return vminq_f32(a, b); }
  static V max(V a, V b) { return vmaxq_f32(a, b); }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V fnma(V a, V b, V c) { return vfmsq_f32(c, a, b); }
  static V neg(V a) { return vnegq_f32(a); }
  static V abs(V a) { return vabsq_f32(a); }
  static V sqrt(V a) { return vsqrtq_f32(a); }
  static V round(V a) { return vrndnq_f32(a); }
  // The float whose bits are b's shifted left by 23: 2^n when b = n + 127 + 1.5 * 2^23
  // (exp_neg_bounded's magic-biased round leaves n + 127 in b's low mantissa bits).
  static V shift_to_exponent(V b) { return vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(b), 23)); }
  // p * 2^n for integral n in [-252, 254], in two halves so that each power is a normal float.
  static V scale_pow2(V p, V n) {
    const int32x4_t k = vcvtq_s32_f32(n);
    const int32x4_t k1 = vshrq_n_s32(k, 1);
    const int32x4_t k2 = vsubq_s32(k, k1);
    const auto pow2 = [](int32x4_t e) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(e, vdupq_n_s32(127)), 23)); };
    return vmulq_f32(vmulq_f32(p, pow2(k1)), pow2(k2));
  }
  static V select_negative(V x, V a, V b) {
    return vbslq_f32(vcltq_s32(vreinterpretq_s32_f32(x), vdupq_n_s32(0)), a, b);
  }
  static V select_less(V a, V b, V x, V y) { return vbslq_f32(vcltq_f32(a, b), x, y); }
  // Lanes 0 and 2 of a, then of b (uzp1).
  static V even_lanes(V a, V b) { return vuzp1q_f32(a, b); }
  // even_lanes in the order ungroup restores (AVX2 saves a cross-half step per vector): here the same.
  static V even_lanes_grouped(V a, V b) { return even_lanes(a, b); }
  static V ungroup(V v) { return v; }
  // r[i] lane j to r[j] lane i (a 4 x 4 transposition: trn1/trn2, then the 64-bit halves paired).
  static void transpose(V (&r)[N]) {
    const float32x4x2_t a = vtrnq_f32(r[0], r[1]);
    const float32x4x2_t b = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    r[1] = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    r[2] = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    r[3] = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
  }
  static float reduce_add(V v) { return vaddvq_f32(v); }
  static float reduce_max(V v) { return vmaxvq_f32(v); }
};

}  // namespace os::simd
