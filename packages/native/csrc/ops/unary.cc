// unary_f32: y = f(x) elementwise.
//   buffers: x (float32[n]), y (float32[n]; may be x's buffer); or both float16 bits
//   params:  op (UnaryOp), alpha, beta, n, then optionally the element type (ElemType f32 or f16:
//            fp16 arithmetic, converted to float32 and back a chunk at a time)
#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "half-rows.h"

namespace os {

void run_unary_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("unary_f32", bufs, nbufs, params, nparams, 2, 4);
  const auto op = static_cast<UnaryOp>(a.integer(0, 0, static_cast<int>(UnaryOp::gelu)));
  const auto alpha = static_cast<float>(a.number(1));
  const auto beta = static_cast<float>(a.number(2));
  const auto n = static_cast<size_t>(a.integer(3, 0, 1LL << 50));
  if (nparams > 4 && a.integer(4, 0, 1) != 0) {
    const HalfRows h{a.buffer<uint16_t>(0, n), nullptr, a.buffer<uint16_t>(1, n)};
    return parallel_for(n, 16384, [&](size_t begin, size_t end) { h.unary(op, alpha, beta, end - begin, begin); });
  }
  const float* x = a.buffer<float>(0, n);
  float* y = a.buffer<float>(1, n);
  const VUnaryFn f = kernels().vunary;
  parallel_for(n, 16384, [&](size_t begin, size_t end) { f(op, end - begin, x + begin, y + begin, alpha, beta); });
}

}  // namespace os
