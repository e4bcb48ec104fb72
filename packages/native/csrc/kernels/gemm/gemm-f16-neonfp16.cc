// The float16 GEMM (gemm-f16.h) on ARMv8.2-A FP16: an 8 x 16 register tile, 16 float16x8
// accumulators, each k one A vector (the panel's 8 rows) whose lanes multiply two B vectors
// (vfmaq_laneq_f16); B from packed panels or, for convolutions, read in place from float16 row
// pointers with the padding masks applied by a lane AND. Compiled with -march=armv8.2-a+fp16
// (binding.gyp os_isa_neonfp16) and only called where the CPU reports asimdhp (dispatch/table-neon.cc).
#include <arm_neon.h>

#include <cstring>

#include "gemm-f16.h"

namespace os {
namespace {

constexpr size_t MR = 8;
constexpr size_t NR = 16;

template <int L>
inline void rank1(float16x8_t (&acc)[MR][2], float16x8_t a, float16x8_t b0, float16x8_t b1) {
  acc[L][0] = vfmaq_laneq_f16(acc[L][0], b0, a, L);
  acc[L][1] = vfmaq_laneq_f16(acc[L][1], b1, a, L);
}

// One k: the panel's 8 A values times the 16 B values.
inline void step(float16x8_t (&acc)[MR][2], float16x8_t av, float16x8_t b0, float16x8_t b1) {
  rank1<0>(acc, av, b0, b1);
  rank1<1>(acc, av, b0, b1);
  rank1<2>(acc, av, b0, b1);
  rank1<3>(acc, av, b0, b1);
  rank1<4>(acc, av, b0, b1);
  rank1<5>(acc, av, b0, b1);
  rank1<6>(acc, av, b0, b1);
  rank1<7>(acc, av, b0, b1);
}

// The tile's first mr rows and nr columns to c (accumulate: added to it), in float32.
void store(const float16x8_t (&acc)[MR][2], size_t mr, size_t nr, float* c, size_t ldc, bool accumulate) {
  for (size_t i = 0; i < mr; i++) {
    float row[NR];
    vst1q_f32(row, vcvt_f32_f16(vget_low_f16(acc[i][0])));
    vst1q_f32(row + 4, vcvt_high_f32_f16(acc[i][0]));
    vst1q_f32(row + 8, vcvt_f32_f16(vget_low_f16(acc[i][1])));
    vst1q_f32(row + 12, vcvt_high_f32_f16(acc[i][1]));
    float* ci = c + i * ldc;
    for (size_t j = 0; j < nr; j++) ci[j] = accumulate ? ci[j] + row[j] : row[j];
  }
}

void ukernel(size_t mr, size_t nr, size_t kc, const uint16_t* a, const uint16_t* b, float* c, size_t ldc,
             bool accumulate) {
  float16x8_t acc[MR][2];
  for (auto& row : acc) row[0] = row[1] = vdupq_n_f16(0);
  const auto* pa = reinterpret_cast<const float16_t*>(a);
  const auto* pb = reinterpret_cast<const float16_t*>(b);
  for (size_t k = 0; k < kc; k++, pa += MR, pb += NR) step(acc, vld1q_f16(pa), vld1q_f16(pb), vld1q_f16(pb + 8));
  store(acc, mr, nr, c, ldc, accumulate);
}

// Lanes of a 16-column panel a mask's bits keep, as two vectors of all-ones or zero halves.
inline void lane_masks(uint32_t bits, uint16x8_t (&keep)[2]) {
  static constexpr uint16_t kLaneBits[8] = {1, 2, 4, 8, 16, 32, 64, 128};
  const uint16x8_t lane = vld1q_u16(kLaneBits);
  keep[0] = vtstq_u16(vdupq_n_u16(static_cast<uint16_t>(bits & 0xffu)), lane);
  keep[1] = vtstq_u16(vdupq_n_u16(static_cast<uint16_t>((bits >> 8) & 0xffu)), lane);
}

void ukernel_rows(size_t mr, size_t nr, size_t kc, const uint16_t* a, const uint16_t* const* rows, size_t col,
                  const GemmRowMasks* masks, float* c, size_t ldc, bool accumulate) {
  float16x8_t acc[MR][2];
  for (auto& row : acc) row[0] = row[1] = vdupq_n_f16(0);
  const auto* pa = reinterpret_cast<const float16_t*>(a);
  if (!masks) {
    for (size_t k = 0; k < kc; k++, pa += MR) {
      const auto* pb = reinterpret_cast<const float16_t*>(rows[k] + col);
      step(acc, vld1q_f16(pa), vld1q_f16(pb), vld1q_f16(pb + 8));
    }
    return store(acc, mr, nr, c, ldc, accumulate);
  }
  uint16x8_t keep[kGemmRowClasses][2];
  for (size_t t = 0; t < masks->period; t++) lane_masks(masks->bits[t], keep[t]);
  for (size_t k = 0, t = masks->phase; k < kc; k++, pa += MR, t = t + 1 == masks->period ? 0 : t + 1) {
    const uint16_t* pb = rows[k] + col;
    const uint16x8_t b0 = vandq_u16(vld1q_u16(pb), keep[t][0]);
    const uint16x8_t b1 = vandq_u16(vld1q_u16(pb + 8), keep[t][1]);
    step(acc, vld1q_f16(pa), vreinterpretq_f16_u16(b0), vreinterpretq_f16_u16(b1));
  }
  store(acc, mr, nr, c, ldc, accumulate);
}

// src(r, c) as a float16 value (u8 dequantised, scale applied in float32 first).
inline float16_t element(const MatrixRef& s, ptrdiff_t at) {
  switch (s.type) {
    case ElemType::f32:
      return static_cast<float16_t>(static_cast<const float*>(s.data)[at] * s.scale);
    case ElemType::f16: {
      float16_t h;
      std::memcpy(&h, static_cast<const uint16_t*>(s.data) + at, sizeof h);
      return s.scale == 1.0f ? h : static_cast<float16_t>(static_cast<float>(h) * s.scale);
    }
    case ElemType::u8:
      return static_cast<float16_t>((static_cast<float>(static_cast<const uint8_t*>(s.data)[at]) - s.zero) * s.scale);
  }
  return 0;
}

void pack_a(size_t mr, size_t kc, const MatrixRef& src, uint16_t* dst) {
  auto* d = reinterpret_cast<float16_t*>(dst);
  for (size_t k = 0; k < kc; k++) {
    for (size_t i = 0; i < MR; i++) {
      const ptrdiff_t at = static_cast<ptrdiff_t>(i) * src.rs + static_cast<ptrdiff_t>(k) * src.cs;
      d[k * MR + i] = i < mr ? element(src, at) : static_cast<float16_t>(0);
    }
  }
}

void pack_b(size_t kc, size_t nr, const MatrixRef& src, uint16_t* dst) {
  auto* d = reinterpret_cast<float16_t*>(dst);
  for (size_t k = 0; k < kc; k++) {
    const ptrdiff_t row = static_cast<ptrdiff_t>(k) * src.rs;
    if (src.type == ElemType::f16 && src.cs == 1 && src.scale == 1.0f && nr == NR) {
      std::memcpy(d + k * NR, static_cast<const uint16_t*>(src.data) + row, NR * sizeof(uint16_t));
      continue;
    }
    for (size_t j = 0; j < NR; j++) {
      d[k * NR + j] = j < nr ? element(src, row + static_cast<ptrdiff_t>(j) * src.cs) : static_cast<float16_t>(0);
    }
  }
}

}  // namespace

GemmF16Kernels gemm_f16_kernels_neonfp16() { return GemmF16Kernels{MR, NR, &ukernel, &ukernel_rows, &pack_a, &pack_b}; }

}  // namespace os
