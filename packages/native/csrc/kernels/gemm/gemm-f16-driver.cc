#include "gemm-f16-driver.h"

#include <algorithm>
#include <vector>

#include "../../common/failure.h"
#include "../../dispatch/kernels.h"
#include "../../threads/pool.h"

namespace os {
namespace {

size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

// Work (multiply-adds) below which a chunk of panels is not worth a thread hop.
constexpr size_t kMinChunkMacs = 1 << 18;

// Columns [j0, j0 + cols) of a prepacked B (the active table's float32 panels, nr32 columns each)
// as a float16 panel of NR columns, zeros past cols: each row in runs that lie inside one float32 panel.
void pack_b_from_panels(const float* panels, size_t nr32, size_t k, size_t j0, size_t cols, size_t nr, uint16_t* dst) {
  const F32ToF16Fn to_half = kernels().f32_to_f16;
  if (cols < nr) std::fill(dst, dst + nr * k, uint16_t{0});
  for (size_t kk = 0; kk < k; kk++) {
    for (size_t j = 0; j < cols;) {
      const size_t col = j0 + j, off = col % nr32, run = std::min(cols - j, nr32 - off);
      to_half(run, panels + (col / nr32) * nr32 * k + kk * nr32 + off, dst + kk * nr + j);
      j += run;
    }
  }
}

}  // namespace

bool gemm_f16_takes(const GemmProblem& p) {
  return !p.a.packed && !p.b.rows && !p.row_bias && p.activation < 0 && !p.accumulate && p.pitch == 0;
}

void gemm_f16_run(const GemmF16Kernels& g, const GemmProblem* problems, size_t count, uint16_t* const* out) {
  const size_t mr = g.mr, nr = g.nr;
  std::vector<std::vector<uint16_t>> packed_a(count);
  std::vector<size_t> first_panel(count + 1, 0);
  for (size_t i = 0; i < count; i++) {
    const GemmProblem& p = problems[i];
    if (!gemm_f16_takes(p)) fail(FailureKind::runtime_error, "gemm_f16_run takes plain products only");
    const size_t panels_m = div_up(p.m, mr);
    packed_a[i].resize(panels_m * mr * std::max<size_t>(p.k, 1));
    parallel_for(panels_m, 4, [&](size_t begin, size_t end) {
      for (size_t q = begin; q < end; q++) {
        g.pack_a(std::min(mr, p.m - q * mr), p.k, offset(p.a.raw, static_cast<ptrdiff_t>(q * mr), 0),
                 packed_a[i].data() + q * mr * p.k);
      }
    });
    first_panel[i + 1] = first_panel[i] + (p.m ? div_up(p.n, nr) : 0);
  }
  const size_t total = first_panel[count];
  if (total == 0) return;
  size_t macs = 0;
  for (size_t i = 0; i < count; i++) macs += problems[i].m * problems[i].n * std::max<size_t>(problems[i].k, 1);
  const size_t grain = std::max<size_t>(1, kMinChunkMacs / std::max<size_t>(1, macs / total));
  const F32ToF16Fn to_half = kernels().f32_to_f16;
  parallel_for(total, grain, [&](size_t begin, size_t end) {
    thread_local std::vector<uint16_t> b_panel;
    std::vector<float> tile(mr * nr);
    for (size_t t = begin; t < end; t++) {
      const size_t i = static_cast<size_t>(std::upper_bound(first_panel.begin(), first_panel.end(), t) -
                                           first_panel.begin()) - 1;
      const GemmProblem& p = problems[i];
      const size_t j0 = (t - first_panel[i]) * nr, cols = std::min(nr, p.n - j0);
      b_panel.resize(nr * std::max<size_t>(p.k, 1));
      if (p.b.packed) {
        pack_b_from_panels(p.b.packed, kernels().gemm.nr, p.k, j0, cols, nr, b_panel.data());
      } else {
        g.pack_b(p.k, cols, offset(p.b.raw, 0, static_cast<ptrdiff_t>(j0)), b_panel.data());
      }
      for (size_t i0 = 0; i0 < p.m; i0 += mr) {
        const size_t rows = std::min(mr, p.m - i0);
        const uint16_t* a = packed_a[i].data() + i0 * p.k;
        size_t k0 = 0;
        do {
          const size_t kc = std::min(kGemmF16Kc, p.k - k0);
          g.ukernel(rows, cols, kc, a + k0 * mr, b_panel.data() + k0 * nr, tile.data(), nr, k0 > 0);
          k0 += kc;
        } while (k0 < p.k);
        for (size_t r = 0; r < rows; r++) {
          float* row = tile.data() + r * nr;
          if (p.col_bias) {
            for (size_t j = 0; j < cols; j++) row[j] += p.col_bias[j0 + j];
          }
          to_half(cols, row, out[i] + (i0 + r) * p.ldc + j0);
        }
      }
    }
  });
}

void gemm_f16_rows_run(const GemmF16Kernels& g, const GemmProblem& p, const uint16_t* a, const uint16_t* const* rows,
                       bool serial) {
  const size_t mr = g.mr, nr = g.nr, panels = div_up(p.n, nr);
  if (p.m == 0 || panels == 0) return;
  GemmProblem out = p;  // columns one to one: one output row as wide as the product
  if (out.pitch == 0) out.pitch = out.width = p.n;
  const auto run = [&](size_t begin, size_t end) {
    std::vector<float> tile(mr * nr);
    uint32_t bits[kGemmRowClasses];
    for (size_t q = begin; q < end; q++) {
      const size_t j = q * nr, cols = std::min(nr, p.n - j);
      const bool padded = gemm_row_masks(p.b, j, nr, bits);
      for (size_t i0 = 0; i0 < p.m; i0 += mr) {
        const size_t m = std::min(mr, p.m - i0);
        size_t k0 = 0;
        do {
          const size_t kc = std::min(kGemmF16Kc, p.k - k0);
          const GemmRowMasks masks{bits, p.b.pad_period, k0 % std::max<size_t>(p.b.pad_period, 1)};
          g.ukernel_rows(m, cols, kc, a + i0 * p.k + k0 * mr, rows + k0, j, padded ? &masks : nullptr, tile.data(),
                         nr, k0 > 0);
          k0 += kc;
        } while (k0 < p.k);
        if (p.row_bias) {
          for (size_t r = 0; r < m; r++) {
            for (size_t c = 0; c < cols; c++) tile[r * nr + c] += p.row_bias[i0 + r];
          }
        }
        gemm_scatter_tile(out, tile.data(), nr, i0, i0 + m, j, cols);
      }
    }
  };
  if (serial) return run(0, panels);
  const size_t macs = p.m * nr * std::max<size_t>(p.k, 1);
  parallel_for(panels, std::max<size_t>(1, kMinChunkMacs / macs), run);
}

}  // namespace os
