// GEMM entry points: the active tile shape, weight prepacking, and ONNX Gemm.
//
// gemm_layout: the register tile of the active ISA, for sizing packed buffers, and whether its 3x3
// stride-1 convolutions take the Winograd path with weights prepared in that form.
//   buffers: out (float64[3]: MR, NR, the Winograd transform's positions, or 0 without that path or
//            where the path transforms the weights per call, WinogradKernels::keep_transformed)
//
// gemm_pack: packs `groups` weight matrices into GEMM panels behind a header (gemm-driver.h).
//   buffers: src (float32, float16 bits or uint8 by elemType), dst (float32[packed size])
//   params:  kind (1: A, cut into MR-row panels; 2: B, cut into NR-column panels; 3: a 3x3
//            convolution's [M x C*9] weight transformed for Winograd, as A; groups 1), elemType
//            (ElemType), scale, zero (uint8: (q - zero) * scale; others: * scale), groups, rows
//            (per group: M for A, N for B), depth (K), transposed (0: A stored [M, K] / B [K, N];
//            1: A stored [K, M] / B [N, K])
//
// gemm_f32: ONNX Gemm, y = alpha * A' . B' + beta * C, A' = transA ? A^T : A, B' likewise; with
//   `accumulate`, y += alpha * A' . B' (+ a column bias): a product over blocks of K (a weight read a
//   block of rows at a time, core's sliced weights), A then being a column range of a wider matrix.
//   buffers: a (float32 or float16 bits, M x K with rows `lda` apart; K x M when transposed), b (the
//            weight, [K*N] float32, float16 bits or uint8 by its form, or packed B), c (float32, may
//            be empty), y (float32[M*N], or float16 bits)
//   params:  M, N, K, transA, transB, alpha, beta, cMode (0: none; 1: C is one value per column;
//            2: C[i * cRow + j * cCol]), cRow, cCol, then B's form, scale, zero (ops/weight.h), then
//            lda (0: dense, K; M when transposed), accumulate (0 or 1; C only as a column bias), then
//            optionally A's and Y's ElemType (f32 or f16: fp16 arithmetic, computed in float32, or
//            in float16 where the CPU has FP16 arithmetic and C is at most a column bias:
//            kernels/gemm/gemm-f16.h; a float16 Y takes no accumulate)
#include <algorithm>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm-driver.h"
#include "../kernels/gemm/gemm-f16-driver.h"
#include "../threads/pool.h"
#include "weight.h"

namespace os {

void run_gemm_layout(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("gemm_layout", bufs, nbufs, params, nparams, 1, 0);
  double* out = a.buffer<double>(0, 3);
  out[0] = static_cast<double>(kernels().gemm.mr);
  out[1] = static_cast<double>(kernels().gemm.nr);
  const WinogradKernels& wk = kernels().winograd;
  out[2] = wk.input && wk.keep_transformed ? static_cast<double>(kWinoPositions) : 0.0;
}

void run_gemm_pack(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("gemm_pack", bufs, nbufs, params, nparams, 2, 8);
  const auto kind = static_cast<PackedKind>(a.integer(0, 1, 3));
  const auto type = static_cast<ElemType>(a.integer(1, 0, 2));
  const auto scale = static_cast<float>(a.number(2));
  const auto zero = static_cast<float>(a.number(3));
  // Header fields are floats: keep every count exactly representable.
  const auto groups = static_cast<size_t>(a.integer(4, 1, 1 << 24));
  const auto rows = static_cast<size_t>(a.integer(5, 0, 1 << 24));
  const auto depth = static_cast<size_t>(a.integer(6, 0, 1 << 24));
  const bool transposed = a.integer(7, 0, 1) != 0;
  const GemmKernels& g = kernels().gemm;
  const size_t count = groups * rows * depth;
  if (bufs[0].bytes / elem_bytes(type) < count) a.fail("source holds fewer than " + std::to_string(count) + " values");
  if (kind == PackedKind::winograd) {
    if (groups != 1 || depth % 9 != 0 || transposed) a.fail("a Winograd weight is one [M x C*9] matrix");
    const PackedInfo info{kind, g.mr, 1, rows, depth / 9};
    const MatrixRef src{bufs[0].data, type, static_cast<ptrdiff_t>(depth), 1, scale, zero};
    return pack_winograd(src, rows, depth / 9, a.buffer<float>(1, packed_floats(info)));
  }
  const PackedInfo info{kind, kind == PackedKind::a ? g.mr : g.nr, groups, rows, depth};
  float* dst = a.buffer<float>(1, packed_floats(info));
  const auto r = static_cast<ptrdiff_t>(rows);
  const auto d = static_cast<ptrdiff_t>(depth);
  MatrixRef src{bufs[0].data, type, 0, 0, scale, zero};
  if (kind == PackedKind::a) {
    src.rs = transposed ? 1 : d;  // element (i, k)
    src.cs = transposed ? r : 1;
  } else {
    src.rs = transposed ? 1 : r;  // element (k, j)
    src.cs = transposed ? d : 1;
  }
  pack_all(g, info, src, r * d, dst);
}

void run_gemm_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("gemm_f32", bufs, nbufs, params, nparams, 4, 15);
  const auto m = static_cast<size_t>(a.integer(0, 0, 1LL << 31));
  const auto n = static_cast<size_t>(a.integer(1, 0, 1LL << 31));
  const auto k = static_cast<size_t>(a.integer(2, 0, 1LL << 31));
  const bool trans_a = a.integer(3, 0, 1) != 0;
  const bool trans_b = a.integer(4, 0, 1) != 0;
  const auto alpha = static_cast<float>(a.number(5));
  const auto beta = static_cast<float>(a.number(6));
  const long long c_mode = a.integer(7, 0, 2);
  const auto c_row = static_cast<size_t>(a.integer(8, 0, 1LL << 40));
  const auto c_col = static_cast<size_t>(a.integer(9, 0, 1LL << 40));
  const auto lda_given = static_cast<size_t>(a.integer(13, 0, 1LL << 31));
  const bool accumulate = a.integer(14, 0, 1) != 0;
  const auto a_type = nparams > 15 ? static_cast<ElemType>(a.integer(15, 0, 1)) : ElemType::f32;
  const bool y_half = nparams > 16 && a.integer(16, 0, 1) != 0;
  if (y_half && accumulate) a.fail("a float16 Y takes no accumulate");
  const size_t a_rows = trans_a ? k : m;
  const size_t a_cols = trans_a ? m : k;
  const size_t lda = lda_given ? lda_given : a_cols;
  if (lda < a_cols) a.fail("lda " + std::to_string(lda) + " is less than a row of A (" + std::to_string(a_cols) + ")");
  if (accumulate && (c_mode == 2 || (c_mode == 1 && beta != 1.0f)))
    a.fail("accumulate takes C only as a column bias (cMode 1, beta 1)");
  const GemmKernels& g = kernels().gemm;
  const size_t a_count = a_rows && a_cols ? (a_rows - 1) * lda + a_cols : 0;
  const void* pa = a_type == ElemType::f16 ? static_cast<const void*>(a.buffer<uint16_t>(0, a_count))
                                            : static_cast<const void*>(a.buffer<float>(0, a_count));
  const WeightArg wb = weight_arg(a, 1, 10, PackedInfo{PackedKind::b, g.nr, 1, n, k});
  if (!wb.packed && wb.elements < k * n) a.fail("B holds fewer than " + std::to_string(k * n) + " values");
  float* py = y_half ? nullptr : a.buffer<float>(3, m * n);
  uint16_t* py16 = y_half ? a.buffer<uint16_t>(3, m * n) : nullptr;
  const float* pc = nullptr;
  if (c_mode == 1) pc = a.buffer<float>(2, n);
  if (c_mode == 2) pc = a.buffer<float>(2, m && n ? (m - 1) * c_row + (n - 1) * c_col + 1 : 0);
  if (m == 0 || n == 0) return;

  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a.raw = MatrixRef{pa, a_type, trans_a ? 1 : static_cast<ptrdiff_t>(lda), trans_a ? static_cast<ptrdiff_t>(lda) : 1,
                      alpha, 0.0f};
  if (wb.packed) {
    p.b.packed = wb.panels();
  } else {
    p.b.raw = wb.matrix(0, trans_b ? 1 : static_cast<ptrdiff_t>(n), trans_b ? static_cast<ptrdiff_t>(k) : 1);
  }
  p.c = py;
  p.ldc = n;
  p.accumulate = accumulate;
  // beta * C broadcast into rows [r0, r0 + rows) of Y (n apart), which the product then accumulates onto.
  GemmPrefill prefill;
  if (pc && beta != 0.0f) {
    if (c_mode == 1 && beta == 1.0f) {
      p.col_bias = pc;
    } else {
      const size_t rs = c_mode == 1 ? 0 : c_row;
      const size_t cs = c_mode == 1 ? 1 : c_col;
      prefill = [=](size_t, size_t r0, size_t rows, float* dst) {
        parallel_for(rows, std::max<size_t>(1, 16384 / n), [&](size_t begin, size_t end) {
          for (size_t i = begin; i < end; i++) {
            for (size_t j = 0; j < n; j++) dst[i * n + j] = beta * pc[(r0 + i) * rs + j * cs];
          }
        });
      };
    }
  }
  // Where the CPU has FP16 arithmetic, a plain product (no full C) runs in float16.
  const GemmF16Kernels& half = kernels().gemm_f16;
  if (y_half && half.ukernel && !prefill && gemm_f16_takes(p)) return gemm_f16_run(half, &p, 1, &py16);
  if (y_half) return gemm_run_to_f16(g, &p, 1, &py16, prefill);
  if (prefill) {
    prefill(0, 0, m, py);
    p.accumulate = true;
  }
  gemm_run(g, &p, 1);
}

}  // namespace os
