// resize_f32: Resize / Upsample of the last two axes, nearest or bilinear, of `planes` planes.
//   buffers: x (float32[planes * in_h * in_w]), y (float32[planes * out_h * out_w])
//   params:  mode (0 nearest, 1 linear), planes, in_h, in_w, out_h, out_w, coordinate mode
//            (CoordMode), nearest mode (NearestMode), scale_h, scale_w, then optionally the element
//            type of x and y (ElemType f32 or f16: fp16 arithmetic; nearest moves the 2-byte
//            elements as they are, linear reads input rows into float32 and rounds each output row)
// Source coordinates follow the reference (packages/core/src/ops/resize.ts) in double precision,
// so nearest picks the same elements; an axis whose size and scale are unchanged is left alone.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"
#include "half-rows.h"

namespace os {
namespace {

// Order and values are shared with src/ops/resize.ts.
enum class CoordMode : int {
  half_pixel = 0,
  half_pixel_symmetric = 1,
  pytorch_half_pixel = 2,
  tf_half_pixel_for_nn = 3,
  align_corners = 4,
  asymmetric = 5,
};
// 'simple' is Resize-10 / Upsample's rule: ceil when downsampling, floor otherwise.
enum class NearestMode : int { round_prefer_floor = 0, round_prefer_ceil = 1, floor = 2, ceil = 3, simple = 4 };

double source(CoordMode mode, double x, double scale, double in, double out) {
  const double resized = scale * in;
  switch (mode) {
    case CoordMode::half_pixel: return (x + 0.5) / scale - 0.5;
    case CoordMode::half_pixel_symmetric: {
      const double center = in / 2;
      return center * (1 - out / resized) + (x + 0.5) / scale - 0.5;
    }
    case CoordMode::pytorch_half_pixel: return resized > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case CoordMode::tf_half_pixel_for_nn: return (x + 0.5) / scale;
    case CoordMode::align_corners: return resized == 1 ? 0 : x * (in - 1) / (resized - 1);
    case CoordMode::asymmetric: return x / scale;
  }
  return 0;
}

double nearest(NearestMode mode, double x, double scale) {
  const double f = std::floor(x);
  switch (mode) {
    case NearestMode::round_prefer_floor: return x - f > 0.5 ? f + 1 : f;
    case NearestMode::round_prefer_ceil: return x - f >= 0.5 ? f + 1 : f;
    case NearestMode::floor: return f;
    case NearestMode::ceil: return std::ceil(x);
    case NearestMode::simple: return scale < 1 ? std::ceil(x) : f;
  }
  return f;
}

struct Axis {
  std::vector<int32_t> i0, i1;  // nearest uses i0 only
  std::vector<float> w;         // weight of i1
  bool identity = false;
};

Axis axis_taps(bool linear, CoordMode cm, NearestMode nm, size_t in, size_t out, double scale) {
  Axis t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.w.resize(out);
  t.identity = in == out && scale == 1.0;
  const auto clamp = [&](double i) { return static_cast<int32_t>(std::min(std::max(i, 0.0), static_cast<double>(in - 1))); };
  for (size_t o = 0; o < out; o++) {
    if (t.identity) {
      t.i0[o] = t.i1[o] = static_cast<int32_t>(o);
      t.w[o] = 0.0f;
      continue;
    }
    const double x = source(cm, static_cast<double>(o), scale, static_cast<double>(in), static_cast<double>(out));
    if (!linear) {
      t.i0[o] = t.i1[o] = clamp(nearest(nm, x, scale));
      t.w[o] = 0.0f;
      continue;
    }
    const double f = std::floor(x);
    t.i0[o] = clamp(f);
    t.i1[o] = clamp(f + 1);
    t.w[o] = static_cast<float>(x - f);
  }
  return t;
}

}  // namespace

void run_resize_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("resize_f32", bufs, nbufs, params, nparams, 2, 10);
  const bool half = nparams > 10 && a.integer(10, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
  const bool linear = a.integer(0, 0, 1) != 0;
  const auto dim = [&](size_t i, long long lo) { return static_cast<size_t>(a.integer(i, lo, 1LL << 31)); };
  const size_t planes = dim(1, 0), in_h = dim(2, 1), in_w = dim(3, 1), out_h = dim(4, 0), out_w = dim(5, 0);
  const auto cm = static_cast<CoordMode>(a.integer(6, 0, static_cast<int>(CoordMode::asymmetric)));
  const auto nm = static_cast<NearestMode>(a.integer(7, 0, static_cast<int>(NearestMode::simple)));
  const double sh = a.number(8), sw = a.number(9);
  if (!(sh > 0) || !(sw > 0)) a.fail("scales must be positive");
  const size_t out_plane = checked_product(a, {out_h, out_w});
  const size_t in_plane = checked_product(a, {in_h, in_w});
  if (checked_product(a, {planes, out_plane}) == 0) return;
  const size_t in_total = checked_product(a, {planes, in_plane});
  const float* x = half ? nullptr : a.buffer<float>(0, in_total);
  float* y = half ? nullptr : a.buffer<float>(1, planes * out_plane);
  const uint16_t* xh = half ? a.buffer<uint16_t>(0, in_total) : nullptr;
  uint16_t* yh = half ? a.buffer<uint16_t>(1, planes * out_plane) : nullptr;
  const Axis th = axis_taps(linear, cm, nm, in_h, out_h, sh);
  const Axis tw = axis_taps(linear, cm, nm, in_w, out_w, sw);
  const KernelTable& k = kernels();
  // Input row ih of a plane as float32: x's, or converted into the calling thread's buffer.
  const auto input_row = [&](size_t plane, int32_t ih) -> const float* {
    const size_t at = plane * in_plane + static_cast<size_t>(ih) * in_w;
    if (!half) return x + at;
    float* row = thread_floats(0, in_w);
    k.f16_to_f32(in_w, xh + at, row);
    return row;
  };
  parallel_for(planes * out_h, std::max<size_t>(1, 16384 / out_w), [&](size_t begin, size_t end) {
    // Horizontally resized input rows, two at a time, reused by consecutive output rows.
    std::vector<float> cache(linear ? 2 * out_w : 0);
    long long tag[2] = {-1, -1};
    // `keep` is a row the caller still holds; otherwise the older row goes (rows only move forward).
    const auto hrow = [&](size_t plane, int32_t ih, const float* keep) -> const float* {
      const long long key = static_cast<long long>(plane * in_h) + ih;
      for (int s = 0; s < 2; s++) {
        if (tag[s] == key) return cache.data() + s * out_w;
      }
      int s = tag[1] < tag[0] ? 1 : 0;
      if (keep == cache.data() + s * out_w) s = 1 - s;
      tag[s] = key;
      float* dst = cache.data() + s * out_w;
      k.resize_lerp_row(out_w, input_row(plane, ih), tw.i0.data(), tw.i1.data(), tw.w.data(), dst);
      return dst;
    };
    for (size_t t = begin; t < end; t++) {
      const size_t plane = t / out_h, oh = t % out_h;
      const size_t y_at = plane * out_plane + oh * out_w;
      if (!linear && half) {
        uint16_t* yr = yh + y_at;
        if (t > begin && oh > 0 && th.i0[oh] == th.i0[oh - 1]) {
          std::memcpy(yr, yr - out_w, out_w * sizeof(uint16_t));
          continue;
        }
        const uint16_t* xr = xh + plane * in_plane + th.i0[oh] * in_w;
        for (size_t o = 0; o < out_w; o++) yr[o] = xr[tw.i0[o]];
        continue;
      }
      float* yr = half ? thread_floats(1, out_w) : y + y_at;
      if (!linear) {
        // Consecutive output rows that read the same input row are copies.
        if (t > begin && oh > 0 && th.i0[oh] == th.i0[oh - 1]) {
          std::memcpy(yr, yr - out_w, out_w * sizeof(float));
          continue;
        }
        const float* xr = x + plane * in_plane + th.i0[oh] * in_w;
        if (tw.identity) std::memcpy(yr, xr, out_w * sizeof(float));
        else k.resize_gather(out_w, xr, tw.i0.data(), yr);
        continue;
      }
      const float* r0 = hrow(plane, th.i0[oh], nullptr);
      if (th.i1[oh] == th.i0[oh] || th.w[oh] == 0.0f) {
        std::memcpy(yr, r0, out_w * sizeof(float));
      } else {
        const float* r1 = hrow(plane, th.i1[oh], r0);
        k.resize_blend(out_w, r0, r1, th.w[oh], yr);
      }
      if (half) k.f32_to_f16(out_w, yr, yh + y_at);
    }
  });
}

}  // namespace os
