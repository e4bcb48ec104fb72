// The threaded driver of the float16 GEMM (gemm-f16.h), for products whose operands and result are
// float16 (fp16 arithmetic) on CPUs with FP16 arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gemm-driver.h"
#include "gemm-f16.h"

namespace os {

// Whether gemm_f16_run takes problem p: raw A, raw B or B prepacked in the active table's float32
// panels (converted to float16 per panel and call), no row bias, activation or accumulation.
bool gemm_f16_takes(const GemmProblem& p);
// Runs `count` problems (each gemm_f16_takes) on the float16 kernels `g`: out[i] (rows ldc apart;
// c is ignored) gets problem i's product plus its column bias, rounded to float16. Each problem's A
// is packed once, in float16; tasks take NR-column panels, packing theirs from B.
void gemm_f16_run(const GemmF16Kernels& g, const GemmProblem* problems, size_t count, uint16_t* const* out);
// A convolution's product on the float16 kernels over float16 B rows read in place (`rows`: p.k
// pointers, each readable NR columns past any panel's start; p.b's padding masks apply) and A panels
// `a` packed by g.pack_a (ceil(p.m / MR) panels of p.k x MR): p.c gets the product plus p.row_bias
// in float32, columns mapped as GemmProblem::pitch says. p.a, p.b.rows, the column bias and the
// activation are not read. NR-column panels spread over the pool unless `serial`.
void gemm_f16_rows_run(const GemmF16Kernels& g, const GemmProblem& p, const uint16_t* a, const uint16_t* const* rows,
                       bool serial);

}  // namespace os
