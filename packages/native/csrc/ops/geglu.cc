// geglu_f32: diffusers' GEGLU gate, y = h * gelu(gate) for rows of x = [h, gate] (erf GELU).
//   buffers: x (float32[rows * 2n]), y (float32[rows * n])
//   params:  rows, n, then optionally the element types of x and of y (ElemType f32 or f16: fp16
//            arithmetic, a float16 row read into float32 and a float16 result rounded once)
// The halves are read in place (no split copies), a row at a time: GELU into y, then y *= h.
#include <algorithm>
#include <cstdint>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"
#include "half-rows.h"

namespace os {

void run_geglu_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("geglu_f32", bufs, nbufs, params, nparams, 2, 2);
  const auto rows = static_cast<size_t>(a.integer(0, 0, 1LL << 50));
  const auto n = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  if (nparams != 2 && nparams != 4) a.fail("expects 2 parameters, or 4 with the element types");
  const auto half = [&](size_t i) {
    return nparams == 4 && a.integer(i, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
  };
  const bool x_half = half(2), y_half = half(3);
  const size_t total = checked_product(a, {rows, n});
  if (total == 0) return;
  const float* x = x_half ? nullptr : a.buffer<float>(0, 2 * total);
  const uint16_t* xh = x_half ? a.buffer<uint16_t>(0, 2 * total) : nullptr;
  float* y = y_half ? nullptr : a.buffer<float>(1, total);
  uint16_t* yh = y_half ? a.buffer<uint16_t>(1, total) : nullptr;
  const KernelTable& k = kernels();
  parallel_for(rows, std::max<size_t>(1, 16384 / n), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      const float* h = x ? x + r * 2 * n : nullptr;
      if (!h) {
        float* row = thread_floats(0, 2 * n);
        k.f16_to_f32(2 * n, xh + r * 2 * n, row);
        h = row;
      }
      float* yr = y ? y + r * n : thread_floats(1, n);
      k.vunary(UnaryOp::gelu, n, h + n, yr, 0.0f, 0.0f);
      k.vbinary(BinaryOp::mul, n, yr, 1, h, 1, yr);
      if (yh) k.f32_to_f16(n, yr, yh + r * n);
    }
  });
}

}  // namespace os
