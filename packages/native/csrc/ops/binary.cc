// binary_f32: y = act(a op b) with numpy broadcasting, described by strides.
//   buffers: a, b, y (float32)
//   params:  op (BinaryOp), activation (UnaryOp, or -1 for none), alpha, beta, rank,
//            dims[rank] (output), astrides[rank], bstrides[rank] (element strides; 0 on broadcast
//            axes; the innermost stride of each input is 0 or 1)
#include <algorithm>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"

namespace os {

void run_binary_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("binary_f32", bufs, nbufs, params, nparams, 3, 5);
  const auto op = static_cast<BinaryOp>(a.integer(0, 0, static_cast<int>(BinaryOp::min)));
  const long long act = a.integer(1, -1, static_cast<int>(UnaryOp::reciprocal));
  const auto alpha = static_cast<float>(a.number(2));
  const auto beta = static_cast<float>(a.number(3));
  const auto rank = static_cast<size_t>(a.integer(4, 1, 16));
  if (nparams != 5 + 3 * rank) a.fail("expects " + std::to_string(5 + 3 * rank) + " parameters for rank " + std::to_string(rank));
  std::vector<size_t> dims(rank), as(rank), bs(rank);
  size_t total = 1, alast = 0, blast = 0;
  for (size_t i = 0; i < rank; i++) {
    dims[i] = static_cast<size_t>(a.integer(5 + i, 0, 1LL << 40));
    as[i] = static_cast<size_t>(a.integer(5 + rank + i, 0, 1LL << 40));
    bs[i] = static_cast<size_t>(a.integer(5 + 2 * rank + i, 0, 1LL << 40));
    total *= dims[i];
    if (dims[i] > 0) {
      alast += (dims[i] - 1) * as[i];
      blast += (dims[i] - 1) * bs[i];
    }
  }
  if (total == 0) return;
  if (as[rank - 1] > 1 || bs[rank - 1] > 1) a.fail("innermost strides must be 0 or 1");
  const float* pa = a.buffer<float>(0, alast + 1);
  const float* pb = a.buffer<float>(1, blast + 1);
  float* py = a.buffer<float>(2, total);
  const size_t inner = dims[rank - 1];
  const size_t rows = total / inner;
  const KernelTable& k = kernels();
  // One output row of `inner` elements per task item; rows are independent.
  parallel_for(rows, std::max<size_t>(1, 16384 / inner), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      size_t rem = r, oa = 0, ob = 0;
      for (size_t d = rank - 1; d-- > 0;) {
        const size_t i = rem % dims[d];
        rem /= dims[d];
        oa += i * as[d];
        ob += i * bs[d];
      }
      float* yr = py + r * inner;
      k.vbinary(op, inner, pa + oa, as[rank - 1], pb + ob, bs[rank - 1], yr);
      if (act >= 0) k.vunary(static_cast<UnaryOp>(act), inner, yr, yr, alpha, beta);
    }
  });
}

}  // namespace os
