// matmul_f32: numpy MatMul over broadcast batches, y[i] = a[aOff_i] . b[bOff_i] ([M x K] . [K x N]).
//   buffers: a (float32, or float16 bits), b (the weight: float32, float16 bits or uint8 by its form,
//            or packed B: one [K x N] matrix for every batch), y (float32[batch*M*N], or float16 bits)
//   params:  M, K, N, batch, B's form, scale, zero (ops/weight.h), then aOff[batch], bOff[batch]
//            (element offsets; TS computes them from the broadcast shapes), then optionally A's and
//            Y's ElemType (f32 or f16: fp16 arithmetic, computed in float32, or in float16 where the
//            CPU has FP16 arithmetic: kernels/gemm/gemm-f16.h)
#include <algorithm>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../kernels/gemm/gemm-f16-driver.h"
#include "weight.h"

namespace os {

namespace {

// A B shared by several row blocks is packed once per call, this many bytes of panels at a time:
// a streamed weight's packed copy stays small (a float16 one would be twice its size as float32).
constexpr size_t kSliceBytes = 8 << 20;

}  // namespace

void run_matmul_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("matmul_f32", bufs, nbufs, params, nparams, 3, 7);
  const auto m = static_cast<size_t>(a.integer(0, 0, 1LL << 31));
  const auto k = static_cast<size_t>(a.integer(1, 0, 1LL << 31));
  const auto n = static_cast<size_t>(a.integer(2, 0, 1LL << 31));
  const auto batch = static_cast<size_t>(a.integer(3, 0, 1LL << 31));
  if (nparams != 7 + 2 * batch && nparams != 9 + 2 * batch) {
    a.fail("expects " + std::to_string(7 + 2 * batch) + " or " + std::to_string(9 + 2 * batch) + " parameters");
  }
  const bool types_given = nparams == 9 + 2 * batch;
  const auto a_type = types_given ? static_cast<ElemType>(a.integer(7 + 2 * batch, 0, 1)) : ElemType::f32;
  const bool y_half = types_given && a.integer(8 + 2 * batch, 0, 1) != 0;
  const GemmKernels& g = kernels().gemm;
  const WeightArg wb = weight_arg(a, 1, 4, PackedInfo{PackedKind::b, g.nr, 1, n, k});
  const size_t a_floats = bufs[0].bytes / elem_bytes(a_type);
  std::vector<size_t> aoff(batch), boff(batch);
  bool shared_b = true;
  for (size_t i = 0; i < batch; i++) {
    aoff[i] = static_cast<size_t>(a.integer(7 + i, 0, 1LL << 50));
    boff[i] = static_cast<size_t>(a.integer(7 + batch + i, 0, 1LL << 50));
    if (aoff[i] + m * k > a_floats) a.fail("batch " + std::to_string(i) + " reads past A");
    if (!wb.packed && boff[i] + k * n > wb.elements) a.fail("batch " + std::to_string(i) + " reads past B");
    shared_b = shared_b && boff[i] == boff[0];
  }
  if (wb.packed && (!shared_b || (batch && boff[0] != 0))) a.fail("a packed B takes zero B offsets");
  const auto* pa = static_cast<const char*>(bufs[0].data);
  float* py = y_half ? nullptr : a.buffer<float>(2, batch * m * n);
  uint16_t* py16 = y_half ? a.buffer<uint16_t>(2, batch * m * n) : nullptr;
  if (batch == 0 || m == 0 || n == 0) return;
  std::vector<uint16_t*> out16(y_half ? batch : 0);
  // A float16 result where the CPU has FP16 arithmetic: the float16 GEMM, which packs per call (from
  // a prepacked weight's float32 panels too).
  const bool half_gemm = y_half && kernels().gemm_f16.ukernel;

  // The products of columns [j0, j0 + cols) of every batch, with B's panels `packed` or packed per tile.
  std::vector<GemmProblem> problems(batch);
  const auto run = [&](size_t j0, size_t cols, const float* packed) {
    for (size_t i = 0; i < batch; i++) {
      GemmProblem& p = problems[i];
      p.m = m;
      p.n = cols;
      p.k = k;
      p.a.raw = MatrixRef{pa + aoff[i] * elem_bytes(a_type), a_type, static_cast<ptrdiff_t>(k), 1, 1.0f, 0.0f};
      if (packed) {
        p.b.packed = packed;
      } else {
        p.b.raw = wb.matrix(boff[i] + j0, static_cast<ptrdiff_t>(n), 1);
      }
      if (y_half) {
        out16[i] = py16 + i * m * n + j0;
      } else {
        p.c = py + i * m * n + j0;
      }
      p.ldc = n;
    }
    if (half_gemm) return gemm_f16_run(kernels().gemm_f16, problems.data(), problems.size(), out16.data());
    if (y_half) return gemm_run_to_f16(g, problems.data(), problems.size(), out16.data());
    gemm_run(g, problems.data(), problems.size());
  };
  if (wb.packed) return run(0, n, wb.panels());
  if (!shared_b || batch * m <= 2 * g.mr || half_gemm) return run(0, n, nullptr);
  const size_t fit = kSliceBytes / sizeof(float) / std::max<size_t>(k, 1) / g.nr * g.nr;
  const size_t slice = std::min(n, std::max(fit, g.nr));
  Workspace temp(packed_floats(PackedInfo{PackedKind::b, g.nr, 1, slice, k}));
  for (size_t j0 = 0; j0 < n; j0 += slice) {
    const size_t cols = std::min(slice, n - j0);
    pack_all(g, PackedInfo{PackedKind::b, g.nr, 1, cols, k}, wb.matrix(boff[0] + j0, static_cast<ptrdiff_t>(n), 1), 0,
             temp.data());
    run(j0, cols, temp.data() + kPackedHeader);
  }
}

}  // namespace os
