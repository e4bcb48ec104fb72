// Elementwise kernels over float16 tensors (fp16 arithmetic) for binary_f32 and unary_f32: a run
// of values converted to float32 into the calling thread's buffers, computed by the float32
// kernels, and rounded back, so that the float16 tensors are never converted whole.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../dispatch/kernels.h"

namespace os {

// The calling thread's float32 scratch `which` (0 to 3), at least n long: float16 values converted
// there a run at a time. Valid until the thread's next request for the same `which`.
inline float* thread_floats(size_t which, size_t n) {
  thread_local std::vector<float> buffers[4];
  if (buffers[which].size() < n) buffers[which].resize(n);
  return buffers[which].data();
}

struct HalfRows {
  const uint16_t* a;
  const uint16_t* b;
  uint16_t* y;  // may alias a or b: a run is read whole before any of it is written

  // y[at, at + n) = act(a[oa + i * sa] op b[ob + i * sb]) (strides 0 or 1), rounded to float16 after
  // the operation and after the activation.
  void binary(BinaryOp op, int act, float alpha, float beta, size_t n, size_t oa, size_t sa, size_t ob, size_t sb,
              size_t at) const {
    const KernelTable& k = kernels();
    float* fa = buffer(0, n);
    float* fb = buffer(1, n);
    k.f16_to_f32(sa ? n : 1, a + oa, fa);
    k.f16_to_f32(sb ? n : 1, b + ob, fb);
    float* fy = buffer(2, n);
    k.vbinary(op, n, fa, sa, fb, sb, fy);
    k.f32_to_f16(n, fy, y + at);
    if (act < 0) return;
    k.f16_to_f32(n, y + at, fy);
    k.vunary(static_cast<UnaryOp>(act), n, fy, fy, alpha, beta);
    k.f32_to_f16(n, fy, y + at);
  }

  // y[at, at + n) = f(a[at, at + n)).
  void unary(UnaryOp op, float alpha, float beta, size_t n, size_t at) const {
    const KernelTable& k = kernels();
    float* f = buffer(0, n);
    k.f16_to_f32(n, a + at, f);
    k.vunary(op, n, f, f, alpha, beta);
    k.f32_to_f16(n, f, y + at);
  }

 private:
  static float* buffer(size_t which, size_t n) { return thread_floats(which, n); }
};

}  // namespace os
