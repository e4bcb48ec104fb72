// GEMM micro-kernels and packing (the GotoBLAS/BLIS scheme, XNNPACK-style per-ISA tables):
// C[mr x nr] (+)= A_panel . B_panel, where an A panel holds MR rows interleaved per k
// (a[k * MR + i]) and a B panel NR columns per k (b[k * NR + j]). Both panels are zero-padded past
// the matrix, so a kernel always runs its full register tile and only masks the stores.
#pragma once
#include <cstddef>
#include <cstdint>

namespace os {

// Element types a weight may be packed from; packing converts to float32.
// Order and values are shared with src/kernels.ts.
enum class ElemType : int { f32 = 0, f16 = 1, u8 = 2 };

inline size_t elem_bytes(ElemType t) { return t == ElemType::f32 ? 4 : t == ElemType::f16 ? 2 : 1; }

// A strided source matrix: element (r, c) at data[r * rs + c * cs], of type `type`; u8 values are
// dequantised as (q - zero) * scale, and every value is multiplied by `scale` otherwise
// (Gemm's alpha folded into packing).
struct MatrixRef {
  const void* data;
  ElemType type;
  ptrdiff_t rs;
  ptrdiff_t cs;
  float scale;
  float zero;
};

// What a kernel applies to the finished tile while it is in registers: + row bias (per output
// channel), + column bias (Gemm's C vector), then an activation (a UnaryOp value, or -1).
struct GemmEpilogue {
  const float* row_bias;
  const float* col_bias;
  int activation;
};

// c[i * ldc + j] (i < mr <= MR, j < nr <= NR) = (accumulate ? c : 0) + sum over kc of the panels,
// then, when `epilogue` is given (the last K block), bias and activation.
using GemmUkernelFn = void (*)(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
                               bool accumulate, const GemmEpilogue* epilogue);
// Columns of a panel that rows read in place drop (they read as zero: padding that is not stored).
// Rows come in `period` classes: bit l of bits[t] keeps column l of the panel in rows of class t,
// and row k of the kernel's K block is of class (phase + k) % period (period <= kGemmRowClasses).
constexpr size_t kGemmRowClasses = 8;
struct GemmRowMasks {
  const uint32_t* bits;
  size_t period, phase;
};
// The same over B read in place from row pointers: row k of the panel is rows[k][col .. col + nr),
// and rows[k][col .. col + NR) must be readable (implicit im2col without packing); with `masks`
// (or null), the columns they drop read as zero.
using GemmUkernelRowsFn = void (*)(size_t mr, size_t nr, size_t kc, const float* a, const float* const* rows,
                                   size_t col, const GemmRowMasks* masks, float* c, size_t ldc, bool accumulate,
                                   const GemmEpilogue* epilogue);
// One A panel: dst[k * MR + i] = src(i, k) for i < mr, 0 for mr <= i < MR; k < kc.
using GemmPackAFn = void (*)(size_t mr, size_t kc, const MatrixRef& src, float* dst);
// One B panel: dst[k * NR + j] = src(k, j) for j < nr, 0 for nr <= j < NR; k < kc.
using GemmPackBFn = void (*)(size_t kc, size_t nr, const MatrixRef& src, float* dst);
// One B panel from row pointers (implicit im2col): dst[k * NR + j] = rows[k][col + j], j < nr; with
// `masks` (or null), the columns they drop as zero (the rows then readable NR columns from col).
using GemmPackBRowsFn = void (*)(size_t kc, size_t nr, const float* const* rows, size_t col,
                                 const GemmRowMasks* masks, float* dst);

struct GemmKernels {
  size_t mr;  // rows of the register tile (A panel height)
  size_t nr;  // columns of the register tile (B panel width)
  GemmUkernelFn ukernel;
  GemmUkernelRowsFn ukernel_rows;
  GemmPackAFn pack_a;
  GemmPackBFn pack_b;
  GemmPackBRowsFn pack_b_rows;
  // Whether panels read B rows that need no masks in place (for at most in_place_tiles tiles of
  // A) rather than packing them: convolution taps overlap in cache, but a narrow panel (SIMD128's 8
  // columns) reads half a cache line per row, and its kernel loads a row pointer per k. Rows with
  // padding masks follow in_place_tiles alone.
  bool rows_in_place = true;
  // The most tiles of A that a panel of rows readable in place (GemmB::rows_in_place) serves in
  // place; a panel reused by more is packed. Packing wins on AVX2 from three tiles on (YOLOv8n's 3x3
  // convolutions 8-20 % faster: in place, 8-float loads straddle cache lines and a panel's rows
  // spread over more lines than L1 keeps while A streams past) and on SIMD128 (SD's UNet
  // convolutions at 32x32 and below 1.4-2 times faster); AVX-512 measured in place faster (on an
  // earlier machine, before the driver ran K chunks outermost) and NEON is unmeasured, so they keep
  // reading in place.
  size_t in_place_tiles = SIZE_MAX;
  // Full panels of rows not readable past their ends (a pointwise convolution's channel planes) are
  // read in place, not packed, in products at most shallow_depth deep with at most shallow_tiles
  // tiles of A, where packing costs more than it saves. AVX2, one thread: pointwise convolutions
  // with 6 to 12 outputs over 64 channels 15-25 % faster, YOLOv8n's DFL 1 x 16 30 %; from 4 tiles
  // on, packed rows win (UltraFace's 16 -> 32 at 120x160 and 64 -> 64 at 30x40 1.1 times faster).
  size_t shallow_depth = 64;
  size_t shallow_tiles = 2;
};

// IEEE half to float, for the portable packing path (F16C/NEON builds convert in hardware).
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise the mantissa.
    exp = 113;
    while ((man & 0x400u) == 0) {
      man <<= 1;
      exp--;
    }
    bits = sign | (exp << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace os
