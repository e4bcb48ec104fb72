// softmax_f32: softmax or log-softmax along one axis of a tensor seen as (outer, n, inner).
//   buffers: x, y (float32[outer * n * inner]; y may be x's buffer)
//   params:  log (0/1), outer, n, inner, then optionally the element type of x and y (ElemType f32
//            or f16: fp16 arithmetic, each line or block read into float32, computed there and
//            rounded once)
#include <algorithm>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"
#include "half-rows.h"

namespace os {

namespace {
// Lines this short, at least a block of them, go through softmax_cols (see below).
constexpr size_t kShortLine = 8;
constexpr size_t kShortBlock = 256;
}  // namespace

void run_softmax_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("softmax_f32", bufs, nbufs, params, nparams, 2, 4);
  const bool half = nparams > 4 && a.integer(4, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
  const bool log = a.integer(0, 0, 1) != 0;
  const auto outer = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  const auto n = static_cast<size_t>(a.integer(2, 0, 1LL << 40));
  const auto inner = static_cast<size_t>(a.integer(3, 0, 1LL << 40));
  const size_t total = checked_product(a, {outer, n, inner});
  if (total == 0) return;
  const KernelTable& k = kernels();
  if (half) {
    const uint16_t* x = a.buffer<uint16_t>(0, total);
    uint16_t* y = a.buffer<uint16_t>(1, total);
    // Lines of n values (inner == 1), else column strips of (n, strip) read into a dense block.
    constexpr size_t kStrip = 256;
    const size_t width = inner == 1 ? 1 : std::min(kStrip, inner);
    const size_t strips = (inner + width - 1) / width;
    parallel_for(outer * strips, std::max<size_t>(1, 16384 / (n * width)), [&](size_t begin, size_t end) {
      float* f = thread_floats(0, n * width);
      for (size_t t = begin; t < end; t++) {
        const size_t o = t / strips, c = t % strips * width, w = std::min(width, inner - c);
        const size_t off = o * n * inner + c;
        for (size_t i = 0; i < n; i++) k.f16_to_f32(w, x + off + i * inner, f + i * w);
        if (inner == 1) k.softmax_row(n, f, f, log);
        else k.softmax_cols(n, w, w, f, f, log);
        for (size_t i = 0; i < n; i++) k.f32_to_f16(w, f + i * w, y + off + i * inner);
      }
    });
    return;
  }
  const float* x = a.buffer<float>(0, total);
  float* y = a.buffer<float>(1, total);
  if (inner == 1 && n <= kShortLine && outer >= kShortBlock) {
    // Many short lines (UltraFace: 4420 lines of 2): a call per line costs more than its values.
    // Blocks of lines are transposed into columns, which softmax_cols takes side by side, and back.
    const size_t blocks = (outer + kShortBlock - 1) / kShortBlock;
    // A block of lines is about half a microsecond of work: tasks of a few blocks spread even
    // UltraFace's 18 over the pool.
    parallel_for(blocks, std::max<size_t>(1, 2048 / (n * kShortBlock)), [&](size_t begin, size_t end) {
      float tmp[kShortLine * kShortBlock];
      for (size_t b = begin; b < end; b++) {
        const size_t o = b * kShortBlock, lines = std::min(kShortBlock, outer - o);
        k.transpose2d(lines, n, x + o * n, n, tmp, lines);
        k.softmax_cols(n, lines, lines, tmp, tmp, log);
        k.transpose2d(n, lines, tmp, lines, y + o * n, n);
      }
    });
    return;
  }
  if (inner == 1) {
    parallel_for(outer, std::max<size_t>(1, 16384 / n), [&](size_t begin, size_t end) {
      for (size_t o = begin; o < end; o++) k.softmax_row(n, x + o * n, y + o * n, log);
    });
    return;
  }
  // Tasks are column strips of one outer slice: every line of a strip is independent.
  constexpr size_t kStrip = 256;
  const size_t strips = (inner + kStrip - 1) / kStrip;
  parallel_for(outer * strips, std::max<size_t>(1, 16384 / (n * kStrip)), [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      const size_t o = t / strips, c = t % strips * kStrip;
      const size_t off = o * n * inner + c;
      k.softmax_cols(n, inner, std::min(kStrip, inner - c), x + off, y + off, log);
    }
  });
}

}  // namespace os
