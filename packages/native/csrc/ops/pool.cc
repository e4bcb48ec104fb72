// Pooling of NCHW float32 planes (1-D pooling is 2-D with height 1).
//
// pool2d_f32: MaxPool / AveragePool, one output row per task item.
//   buffers: x (float32[planes * in_h * in_w]), y (float32[planes * out_h * out_w])
//   params:  op (PoolOp), include_pad (0/1), planes, in_h, in_w, out_h, out_w, kernel_h, kernel_w,
//            stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right,
//            then optionally the element type of x and y (ElemType f32 or f16: fp16 arithmetic, the
//            window's input rows read into float32 and each output row rounded once)
//
// global_pool_f32: GlobalMaxPool / GlobalAveragePool.
//   buffers: x (float32[planes * size]), y (float32[planes])
//   params:  op (PoolOp), planes, size, then optionally the element type of x and y (as above)
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"
#include "half-rows.h"

namespace os {
namespace {

bool half_io(const Args& a, size_t param) {
  return a.nparams > param && a.integer(param, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
}

}  // namespace

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
  const bool half = half_io(a, 17);
  const size_t out_plane = checked_product(a, {out_h, out_w});
  const size_t total_out = checked_product(a, {planes, out_plane});
  if (total_out == 0) return;
  const size_t in_plane = checked_product(a, {in_h, in_w});
  const size_t in_total = checked_product(a, {planes, in_plane});
  const float* x = half ? nullptr : a.buffer<float>(0, in_total);
  float* y = half ? nullptr : a.buffer<float>(1, total_out);
  const uint16_t* xh = half ? a.buffer<uint16_t>(0, in_total) : nullptr;
  uint16_t* yh = half ? a.buffer<uint16_t>(1, total_out) : nullptr;
  const KernelTable& k = kernels();
  parallel_for(planes * out_h, std::max<size_t>(1, 4096 / (out_w * kh * kw)), [&](size_t begin, size_t end) {
    std::vector<const float*> rows(kh);
    // float16: the window's rows converted (kh rows of in_w), the output row rounded from float32.
    float* xf = half ? thread_floats(0, kh * in_w) : nullptr;
    float* yf = half ? thread_floats(1, out_w) : nullptr;
    for (size_t t = begin; t < end; t++) {
      const size_t plane = t / out_h, oh = t % out_h;
      PoolRow p{op, rows.data(), 0, in_w, out_w, kw, sw, dw, pl, pr, include_pad, 0};
      size_t padded = 0;
      for (size_t i = 0; i < kh; i++) {
        // Input row oh * sh + i * dh - pt, in unsigned arithmetic shifted by pt.
        const size_t r = oh * sh + i * dh;
        if (r < in_h + pt + pb) padded++;
        if (r < pt || r - pt >= in_h) continue;
        const size_t at = plane * in_plane + (r - pt) * in_w;
        if (half) {
          float* row = xf + p.nrows * in_w;
          k.f16_to_f32(in_w, xh + at, row);
          rows[p.nrows++] = row;
        } else {
          rows[p.nrows++] = x + at;
        }
      }
      p.hcount = include_pad ? padded : p.nrows;
      const size_t y_at = plane * out_plane + oh * out_w;
      k.pool_row(p, half ? yf : y + y_at);
      if (half) k.f32_to_f16(out_w, yf, yh + y_at);
    }
  });
}

void run_global_pool_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("global_pool_f32", bufs, nbufs, params, nparams, 2, 3);
  const auto op = static_cast<PoolOp>(a.integer(0, 0, static_cast<int>(PoolOp::avg)));
  const auto planes = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  const auto size = static_cast<size_t>(a.integer(2, 1, 1LL << 40));
  const bool half = half_io(a, 3);
  if (planes == 0) return;
  const size_t total = checked_product(a, {planes, size});
  const KernelTable& k = kernels();
  if (half) {
    const uint16_t* x = a.buffer<uint16_t>(0, total);
    uint16_t* y = a.buffer<uint16_t>(1, planes);
    parallel_for(planes, std::max<size_t>(1, 16384 / size), [&](size_t begin, size_t end) {
      float* plane = thread_floats(0, size);
      for (size_t p = begin; p < end; p++) {
        k.f16_to_f32(size, x + p * size, plane);
        const float v = k.pool_global(op, size, plane);
        k.f32_to_f16(1, &v, y + p);
      }
    });
    return;
  }
  const float* x = a.buffer<float>(0, total);
  float* y = a.buffer<float>(1, planes);
  parallel_for(planes, std::max<size_t>(1, 16384 / size), [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; p++) y[p] = k.pool_global(op, size, x + p * size);
  });
}

}  // namespace os
