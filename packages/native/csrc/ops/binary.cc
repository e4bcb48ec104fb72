// binary_f32: y = act(a op b) with numpy broadcasting, described by strides.
//   buffers: a, b, y (float32, or all three float16 bits)
//   params:  op (BinaryOp), activation (UnaryOp, or -1 for none), alpha, beta, rank,
//            dims[rank] (output), astrides[rank], bstrides[rank] (element strides; 0 on broadcast
//            axes; the innermost stride of each input is 0 or 1), then optionally the element type
//            (ElemType f32 or f16: fp16 arithmetic, each piece converted to float32 and back, the
//            result rounded before the activation and after it, as two operators would)
#include <algorithm>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "half-rows.h"

namespace os {

void run_binary_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("binary_f32", bufs, nbufs, params, nparams, 3, 5);
  const auto op = static_cast<BinaryOp>(a.integer(0, 0, static_cast<int>(BinaryOp::min)));
  const long long act = a.integer(1, -1, static_cast<int>(UnaryOp::reciprocal));
  const auto alpha = static_cast<float>(a.number(2));
  const auto beta = static_cast<float>(a.number(3));
  auto rank = static_cast<size_t>(a.integer(4, 1, 16));
  if (nparams != 5 + 3 * rank && nparams != 6 + 3 * rank) {
    a.fail("expects " + std::to_string(5 + 3 * rank) + " or " + std::to_string(6 + 3 * rank) + " parameters for rank " +
           std::to_string(rank));
  }
  const bool half = nparams == 6 + 3 * rank && a.integer(5 + 3 * rank, 0, 1) != 0;
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
  if (half) a.buffer<uint16_t>(0, alast + 1), a.buffer<uint16_t>(1, blast + 1), a.buffer<uint16_t>(2, total);
  const float* pa = half ? nullptr : a.buffer<float>(0, alast + 1);
  const float* pb = half ? nullptr : a.buffer<float>(1, blast + 1);
  float* py = half ? nullptr : a.buffer<float>(2, total);
  const HalfRows h{static_cast<const uint16_t*>(bufs[0].data), static_cast<const uint16_t*>(bufs[1].data),
                   static_cast<uint16_t*>(bufs[2].data)};
  // Axes of size 1 dropped, and each axis merged into the next when both inputs step over it as
  // over the next one's whole extent (contiguous, or broadcast in both): a [1, 4420, 2] * scalar
  // product is then one row of 8840 values, not 4420 kernel calls of 2.
  size_t kept = 0;
  for (size_t i = 0; i < rank; i++) {
    if (dims[i] == 1) continue;
    if (kept > 0 && as[kept - 1] == as[i] * dims[i] && bs[kept - 1] == bs[i] * dims[i]) {
      dims[kept - 1] *= dims[i];
      as[kept - 1] = as[i];
      bs[kept - 1] = bs[i];
      continue;
    }
    dims[kept] = dims[i];
    as[kept] = as[i];
    bs[kept] = bs[i];
    kept++;
  }
  if (kept == 0) {
    dims[0] = 1;
    as[0] = bs[0] = 0;
    kept = 1;
  }
  rank = kept;
  if (as[rank - 1] > 1 || bs[rank - 1] > 1) a.fail("innermost strides must be 0 or 1");
  const size_t inner = dims[rank - 1];
  const size_t rows = total / inner;
  // Tasks are pieces of at most kPiece values of one output row (merged rows can be long); each
  // task item does as much work, whatever the shape.
  constexpr size_t kPiece = 4096;
  const size_t pieces = (inner + kPiece - 1) / kPiece, piece = (inner + pieces - 1) / pieces;
  const size_t ia = as[rank - 1], ib = bs[rank - 1];
  const KernelTable& k = kernels();
  parallel_for(rows * pieces, std::max<size_t>(1, 16384 / piece), [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      const size_t r = t / pieces, j0 = t % pieces * piece, n = std::min(piece, inner - j0);
      size_t rem = r, oa = 0, ob = 0;
      for (size_t d = rank - 1; d-- > 0;) {
        const size_t i = rem % dims[d];
        rem /= dims[d];
        oa += i * as[d];
        ob += i * bs[d];
      }
      if (half) {
        h.binary(op, static_cast<int>(act), alpha, beta, n, oa + j0 * ia, ia, ob + j0 * ib, ib, r * inner + j0);
        continue;
      }
      float* yr = py + r * inner + j0;
      k.vbinary(op, n, pa + oa + j0 * ia, ia, pb + ob + j0 * ib, ib, yr);
      if (act >= 0) k.vunary(static_cast<UnaryOp>(act), n, yr, yr, alpha, beta);
    }
  });
}

}  // namespace os
