// The threaded driver of the float16 GEMM (gemm-f16.h), for products whose operands and result are
// float16 (fp16 arithmetic) on CPUs with FP16 arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gemm-driver.h"
#include "gemm-f16.h"

namespace os {

// Whether gemm_f16_run takes problem p: raw A and B, no row bias, activation or accumulation.
bool gemm_f16_takes(const GemmProblem& p);
// Runs `count` problems (each gemm_f16_takes) on the float16 kernels `g`: out[i] (rows ldc apart;
// c is ignored) gets problem i's product plus its column bias, rounded to float16. Each problem's A
// is packed once, in float16; tasks take NR-column panels, packing theirs from B.
void gemm_f16_run(const GemmF16Kernels& g, const GemmProblem* problems, size_t count, uint16_t* const* out);

}  // namespace os
