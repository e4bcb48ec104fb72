// matmul_f32: numpy MatMul over broadcast batches, y[i] = a[aOff_i] . b[bOff_i] ([M x K] . [K x N]).
//   buffers: a (float32), b (float32, or packed B: one [K x N] matrix for every batch), y (float32[batch*M*N])
//   params:  M, K, N, batch, bPacked, then aOff[batch], bOff[batch] (element offsets; TS computes them
//            from the broadcast shapes)
#include <memory>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"

namespace os {

void run_matmul_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("matmul_f32", bufs, nbufs, params, nparams, 3, 5);
  const auto m = static_cast<size_t>(a.integer(0, 0, 1LL << 31));
  const auto k = static_cast<size_t>(a.integer(1, 0, 1LL << 31));
  const auto n = static_cast<size_t>(a.integer(2, 0, 1LL << 31));
  const auto batch = static_cast<size_t>(a.integer(3, 0, 1LL << 31));
  const bool b_packed = a.integer(4, 0, 1) != 0;
  if (nparams != 5 + 2 * batch) a.fail("expects " + std::to_string(5 + 2 * batch) + " parameters");
  const GemmKernels& g = kernels().gemm;
  const size_t a_floats = bufs[0].bytes / sizeof(float);
  const size_t b_floats = bufs[1].bytes / sizeof(float);
  std::vector<size_t> aoff(batch), boff(batch);
  bool shared_b = true;
  for (size_t i = 0; i < batch; i++) {
    aoff[i] = static_cast<size_t>(a.integer(5 + i, 0, 1LL << 50));
    boff[i] = static_cast<size_t>(a.integer(5 + batch + i, 0, 1LL << 50));
    if (aoff[i] + m * k > a_floats) a.fail("batch " + std::to_string(i) + " reads past A");
    if (!b_packed && boff[i] + k * n > b_floats) a.fail("batch " + std::to_string(i) + " reads past B");
    shared_b = shared_b && boff[i] == boff[0];
  }
  const auto* pa = static_cast<const float*>(bufs[0].data);
  const auto* pb = static_cast<const float*>(bufs[1].data);
  float* py = a.buffer<float>(2, batch * m * n);
  if (b_packed) {
    const PackedInfo want{PackedKind::b, g.nr, 1, n, k};
    if (!packed_matches(pb, b_floats, want)) a.fail("B is not packed for this ISA and shape");
    if (!shared_b || (batch && boff[0] != 0)) a.fail("a packed B takes zero B offsets");
  }
  if (batch == 0 || m == 0 || n == 0) return;

  // A B shared by several row blocks is packed once here instead of once per block.
  std::unique_ptr<Workspace> temp;
  const float* packed = b_packed ? pb + kPackedHeader : nullptr;
  if (!packed && shared_b && batch * m > 2 * g.mr) {
    const PackedInfo info{PackedKind::b, g.nr, 1, n, k};
    temp = std::make_unique<Workspace>(packed_floats(info));
    pack_all(g, info, MatrixRef{pb + boff[0], ElemType::f32, static_cast<ptrdiff_t>(n), 1, 1.0f, 0.0f}, 0, temp->data());
    packed = temp->data() + kPackedHeader;
  }
  std::vector<GemmProblem> problems(batch);
  for (size_t i = 0; i < batch; i++) {
    GemmProblem& p = problems[i];
    p.m = m;
    p.n = n;
    p.k = k;
    p.a.raw = MatrixRef{pa + aoff[i], ElemType::f32, static_cast<ptrdiff_t>(k), 1, 1.0f, 0.0f};
    if (packed) {
      p.b.packed = packed;
    } else {
      p.b.raw = MatrixRef{pb + boff[i], ElemType::f32, static_cast<ptrdiff_t>(n), 1, 1.0f, 0.0f};
    }
    p.c = py + i * m * n;
    p.ldc = n;
  }
  gemm_run(g, problems.data(), problems.size());
}

}  // namespace os
