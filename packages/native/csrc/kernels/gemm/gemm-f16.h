// Half-precision GEMM for CPUs with FP16 arithmetic (ARMv8.2-A FP16, Linux `asimdhp`): the panel
// scheme of gemm.h over float16 panels, multiply-adds in float16 (XNNPACK's f16 gemm), for the
// graphs that compute in float16 (fp16 arithmetic). A micro-kernel sums one K block in float16
// registers and adds the block to C in float32, so rounding errors grow with the block (at most
// kGemmF16Kc terms), not with all of K (up to 11520 in SD's UNet convolutions).
#pragma once
#include <cstddef>
#include <cstdint>

#include "gemm.h"

namespace os {

constexpr size_t kGemmF16Kc = 256;

// c[i * ldc + j] (i < mr <= MR, j < nr <= NR) = (accumulate ? c : 0) + sum over kc <= kGemmF16Kc of
// the panels (a[k * MR + i], b[k * NR + j], half bits), summed in float16.
using GemmF16UkernelFn = void (*)(size_t mr, size_t nr, size_t kc, const uint16_t* a, const uint16_t* b, float* c,
                                  size_t ldc, bool accumulate);
// The same over B read in place from float16 row pointers (a convolution's phase planes): row k of
// the panel is rows[k][col .. col + nr), rows[k][col .. col + NR) readable, and with `masks` the
// columns they drop read as zero (GemmRowMasks, as in GemmUkernelRowsFn).
using GemmF16UkernelRowsFn = void (*)(size_t mr, size_t nr, size_t kc, const uint16_t* a, const uint16_t* const* rows,
                                      size_t col, const GemmRowMasks* masks, float* c, size_t ldc, bool accumulate);
// One A panel: dst[k * MR + i] = half(src(i, k)) for i < mr, 0 up to MR; k < kc.
using GemmF16PackAFn = void (*)(size_t mr, size_t kc, const MatrixRef& src, uint16_t* dst);
// One B panel: dst[k * NR + j] = half(src(k, j)) for j < nr, 0 up to NR; k < kc.
using GemmF16PackBFn = void (*)(size_t kc, size_t nr, const MatrixRef& src, uint16_t* dst);

// All null (mr 0) in tables of ISAs without FP16 arithmetic.
struct GemmF16Kernels {
  size_t mr = 0, nr = 0;
  GemmF16UkernelFn ukernel = nullptr;
  GemmF16UkernelRowsFn ukernel_rows = nullptr;
  GemmF16PackAFn pack_a = nullptr;
  GemmF16PackBFn pack_b = nullptr;
};

#if defined(__aarch64__)
// kernels/gemm/gemm-f16-neonfp16.cc, compiled with -march=armv8.2-a+fp16: for CPUs with asimdhp only.
GemmF16Kernels gemm_f16_kernels_neonfp16();
#endif

}  // namespace os
