// Pooling of NCHW float32 planes (1-D pooling is 2-D with height 1).
//
// pool2d_f32: MaxPool / AveragePool, one output row per task item.
//   buffers: x (float32[planes * in_h * in_w]), y (float32[planes * out_h * out_w])
//   params:  op (PoolOp), include_pad (0/1), planes, in_h, in_w, out_h, out_w, kernel_h, kernel_w,
//            stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right
//
// global_pool_f32: GlobalMaxPool / GlobalAveragePool.
//   buffers: x (float32[planes * size]), y (float32[planes])
//   params:  op (PoolOp), planes, size
#include <algorithm>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"

namespace os {

void run_pool2d_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("pool2d_f32", bufs, nbufs, params, nparams, 2, 17);
  const auto op = static_cast<PoolOp>(a.integer(0, 0, static_cast<int>(PoolOp::avg)));
  const bool include_pad = a.integer(1, 0, 1) != 0;
  // Sizes up to 2^31 and window parameters up to 2^20 keep every index product far from overflow.
  const auto dim = [&](size_t i) { return static_cast<size_t>(a.integer(i, 0, 1LL << 31)); };
  const auto win = [&](size_t i, long long lo) { return static_cast<size_t>(a.integer(i, lo, 1LL << 20)); };
  const size_t planes = dim(2), in_h = dim(3), in_w = dim(4), out_h = dim(5), out_w = dim(6);
  const size_t kh = win(7, 1), kw = win(8, 1), sh = win(9, 1), sw = win(10, 1), dh = win(11, 1), dw = win(12, 1);
  const size_t pt = win(13, 0), pl = win(14, 0), pb = win(15, 0), pr = win(16, 0);
  const size_t out_plane = checked_product(a, {out_h, out_w});
  const size_t total_out = checked_product(a, {planes, out_plane});
  if (total_out == 0) return;
  const size_t in_plane = checked_product(a, {in_h, in_w});
  const float* x = a.buffer<float>(0, checked_product(a, {planes, in_plane}));
  float* y = a.buffer<float>(1, total_out);
  const KernelTable& k = kernels();
  parallel_for(planes * out_h, std::max<size_t>(1, 4096 / (out_w * kh * kw)), [&](size_t begin, size_t end) {
    std::vector<const float*> rows(kh);
    for (size_t t = begin; t < end; t++) {
      const size_t plane = t / out_h, oh = t % out_h;
      const float* xp = x + plane * in_plane;
      PoolRow p{op, rows.data(), 0, in_w, out_w, kw, sw, dw, pl, pr, include_pad, 0};
      size_t padded = 0;
      for (size_t i = 0; i < kh; i++) {
        // Input row oh * sh + i * dh - pt, in unsigned arithmetic shifted by pt.
        const size_t r = oh * sh + i * dh;
        if (r < in_h + pt + pb) padded++;
        if (r >= pt && r - pt < in_h) rows[p.nrows++] = xp + (r - pt) * in_w;
      }
      p.hcount = include_pad ? padded : p.nrows;
      k.pool_row(p, y + plane * out_plane + oh * out_w);
    }
  });
}

void run_global_pool_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("global_pool_f32", bufs, nbufs, params, nparams, 2, 3);
  const auto op = static_cast<PoolOp>(a.integer(0, 0, static_cast<int>(PoolOp::avg)));
  const auto planes = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  const auto size = static_cast<size_t>(a.integer(2, 1, 1LL << 40));
  if (planes == 0) return;
  const float* x = a.buffer<float>(0, checked_product(a, {planes, size}));
  float* y = a.buffer<float>(1, planes);
  const KernelTable& k = kernels();
  parallel_for(planes, std::max<size_t>(1, 16384 / size), [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; p++) y[p] = k.pool_global(op, size, x + p * size);
  });
}

}  // namespace os
