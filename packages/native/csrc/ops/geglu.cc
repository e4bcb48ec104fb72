// geglu_f32: diffusers' GEGLU gate, y = h * gelu(gate) for rows of x = [h, gate] (erf GELU).
//   buffers: x (float32[rows * 2n]), y (float32[rows * n])
//   params:  rows, n
// The halves are read in place (no split copies), a row at a time: GELU into y, then y *= h.
#include <algorithm>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"

namespace os {

void run_geglu_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("geglu_f32", bufs, nbufs, params, nparams, 2, 2);
  const auto rows = static_cast<size_t>(a.integer(0, 0, 1LL << 50));
  const auto n = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  const size_t total = checked_product(a, {rows, n});
  if (total == 0) return;
  const float* x = a.buffer<float>(0, 2 * total);
  float* y = a.buffer<float>(1, total);
  const KernelTable& k = kernels();
  parallel_for(rows, std::max<size_t>(1, 16384 / n), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      const float* h = x + r * 2 * n;
      float* yr = y + r * n;
      k.vunary(UnaryOp::gelu, n, h + n, yr, 0.0f, 0.0f);
      k.vbinary(BinaryOp::mul, n, yr, 1, h, 1, yr);
    }
  });
}

}  // namespace os
