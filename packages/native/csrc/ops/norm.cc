// Normalisation operators. Statistics are two-pass (mean, then squared deviations from it) with
// double accumulation, like the reference and OnnxStream's InstanceNormalization.
//
// layer_norm_f32: LayerNormalization / RMSNormalization over `blocks` runs of `size` values.
//   buffers: x, scale (float32[size]), bias (float32[size] or empty), y, mean, inv_std_dev
//            (float32[blocks] each, or empty when not wanted)
//   params:  rms (0/1), blocks, size, epsilon, then optionally the element type of x and y (ElemType
//            f32 or f16: fp16 arithmetic, each block converted to float32 and its result rounded)
//
// channel_norm_f32: InstanceNormalization / GroupNormalization / BatchNormalization (inference) of
// an (n, c, spatial) tensor; statistics per (batch, group of c / groups channels) when computed,
// per channel when given.
//   buffers: x, scale, bias (float32[c], or [groups] with per_group), mean, var (float32[c] when
//            given, else empty), y
//   params:  n, c, spatial, groups, epsilon, given (0/1), per_group (0/1), then optionally the
//            element type of x and y (ElemType f32 or f16: fp16 arithmetic, x read and y written a
//            chunk at a time through float32, so neither exists whole as float32)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"

namespace os {
namespace {

// Values per task of the statistics and normalising passes.
constexpr size_t kChunk = 1 << 16;

// The normalised tensor's values: float32, or float16 bits read as float32 a run at a time.
struct NormValues {
  const float* f = nullptr;
  const uint16_t* h = nullptr;

  // Elements [at, at + n): x itself, or converted into the calling thread's buffer (valid until
  // its next read).
  const float* read(size_t at, size_t n) const {
    if (f) return f + at;
    float* row = buffer(n);
    kernels().f16_to_f32(n, h + at, row);
    return row;
  }

  static float* buffer(size_t n) {
    thread_local std::vector<float> row;
    if (row.size() < n) row.resize(n);
    return row.data();
  }
};

// x and y as given: float32, or both float16 bits (the trailing element-type parameter at `param`).
bool half_io(const Args& a, size_t param) {
  return a.nparams > param && a.integer(param, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
}

NormValues norm_input(const Args& a, bool half, size_t total) {
  if (half) return {nullptr, a.buffer<uint16_t>(0, total)};
  return {a.buffer<float>(0, total), nullptr};
}

// Mean and population variance of each of `regions` runs of `len` values at x + r * len. Long runs
// are split into chunks so that a few huge groups still use every thread.
void region_moments(size_t regions, size_t len, const NormValues& x, std::vector<double>* mean,
                    std::vector<double>* var) {
  const KernelTable& k = kernels();
  const size_t parts = std::max<size_t>(1, (len + kChunk - 1) / kChunk);
  const size_t part = (len + parts - 1) / parts;
  std::vector<double> s(regions * parts), q(regions * parts);
  mean->assign(regions, 0.0);
  var->assign(regions, 0.0);
  for (int pass = 0; pass < 2; pass++) {
    parallel_for(regions * parts, 1, [&](size_t begin, size_t end) {
      for (size_t t = begin; t < end; t++) {
        const size_t r = t / parts, i0 = t % parts * part;
        const size_t count = i0 < len ? std::min(part, len - i0) : 0;
        k.norm_sums(count, x.read(r * len + i0, count), static_cast<float>((*mean)[r]), &s[t], &q[t]);
      }
    });
    for (size_t r = 0; r < regions; r++) {
      double ss = 0.0, qq = 0.0;
      for (size_t p = 0; p < parts; p++) {
        ss += s[r * parts + p];
        qq += q[r * parts + p];
      }
      const double d = ss / static_cast<double>(len);
      if (pass == 0) {
        (*mean)[r] = d;
      } else {
        // The center was the float32-rounded mean: remove what its offset adds to the squares.
        (*var)[r] = std::max(0.0, qq / static_cast<double>(len) - d * d);
        (*mean)[r] += d;
      }
    }
  }
}

}  // namespace

void run_layer_norm_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("layer_norm_f32", bufs, nbufs, params, nparams, 6, 4);
  const bool rms = a.integer(0, 0, 1) != 0;
  const auto blocks = static_cast<size_t>(a.integer(1, 0, 1LL << 40));
  const auto size = static_cast<size_t>(a.integer(2, 1, 1LL << 40));
  const double eps = a.number(3);
  const bool half = half_io(a, 4);
  const size_t total = checked_product(a, {blocks, size});
  if (total == 0) return;
  const NormValues x = norm_input(a, half, total);
  const float* scale = a.buffer<float>(1, size);
  const float* bias = bufs[2].bytes ? a.buffer<float>(2, size) : nullptr;
  uint16_t* yh = half ? a.buffer<uint16_t>(3, total) : nullptr;
  float* y = half ? nullptr : a.buffer<float>(3, total);
  float* mean_out = bufs[4].bytes ? a.buffer<float>(4, blocks) : nullptr;
  float* inv_out = bufs[5].bytes ? a.buffer<float>(5, blocks) : nullptr;
  const KernelTable& k = kernels();
  parallel_for(blocks, std::max<size_t>(1, 16384 / size), [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; b++) {
      const float* xb = x.read(b * size, size);
      double s, q, mean = 0.0;
      k.norm_sums(size, xb, 0.0f, &s, &q);
      double second = q / static_cast<double>(size);
      if (!rms) {
        mean = s / static_cast<double>(size);
        double s2;
        k.norm_sums(size, xb, static_cast<float>(mean), &s2, &q);
        const double d = s2 / static_cast<double>(size);
        second = std::max(0.0, q / static_cast<double>(size) - d * d);
        mean += d;
      }
      const double inv = 1.0 / std::sqrt(second + eps);
      // float16: the row is normalised in place in the read buffer, then rounded into y.
      float* yb = half ? const_cast<float*>(xb) : y + b * size;
      k.norm_row(size, xb, yb, static_cast<float>(mean), static_cast<float>(inv), scale, bias);
      if (half) k.f32_to_f16(size, yb, yh + b * size);
      if (mean_out) mean_out[b] = static_cast<float>(mean);
      if (inv_out) inv_out[b] = static_cast<float>(inv);
    }
  });
}

void run_channel_norm_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("channel_norm_f32", bufs, nbufs, params, nparams, 6, 7);
  const auto n = static_cast<size_t>(a.integer(0, 0, 1LL << 40));
  const auto c = static_cast<size_t>(a.integer(1, 1, 1LL << 40));
  const auto spatial = static_cast<size_t>(a.integer(2, 0, 1LL << 40));
  const auto groups = static_cast<size_t>(a.integer(3, 1, static_cast<long long>(c)));
  const double eps = a.number(4);
  const bool given = a.integer(5, 0, 1) != 0;
  const bool per_group = a.integer(6, 0, 1) != 0;
  const bool half = half_io(a, 7);
  if (c % groups != 0) a.fail("channels are not divisible into groups");
  if (given && groups != c) a.fail("given statistics are per channel");
  const size_t total = checked_product(a, {n, c, spatial});
  if (total == 0) return;
  const size_t nparam = per_group ? groups : c;
  const NormValues x = norm_input(a, half, total);
  const float* scale = a.buffer<float>(1, nparam);
  const float* bias = a.buffer<float>(2, nparam);
  uint16_t* yh = half ? a.buffer<uint16_t>(5, total) : nullptr;
  float* y = half ? nullptr : a.buffer<float>(5, total);
  const size_t cg = c / groups;
  std::vector<double> mean, var;
  if (given) {
    const float* m = a.buffer<float>(3, c);
    const float* v = a.buffer<float>(4, c);
    mean.assign(m, m + c);
    var.assign(v, v + c);
  } else {
    region_moments(n * groups, cg * spatial, x, &mean, &var);
  }
  // Per plane (batch, channel): y = (x - mean) * k + bias, k = scale / sqrt(var + eps).
  std::vector<float> pm(n * c), pk(n * c), pb(n * c);
  for (size_t b = 0; b < n; b++) {
    for (size_t ch = 0; ch < c; ch++) {
      const size_t g = ch / cg;
      const size_t stat = given ? ch : b * groups + g;
      const size_t p = per_group ? g : ch;
      pm[b * c + ch] = static_cast<float>(mean[stat]);
      pk[b * c + ch] = static_cast<float>(scale[p] / std::sqrt(var[stat] + eps));
      pb[b * c + ch] = bias[p];
    }
  }
  const KernelTable& k = kernels();
  const size_t parts = std::max<size_t>(1, (spatial + kChunk - 1) / kChunk);
  const size_t part = (spatial + parts - 1) / parts;
  parallel_for(n * c * parts, std::max<size_t>(1, kChunk / 4 / std::max<size_t>(1, part)), [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      const size_t plane = t / parts, i0 = t % parts * part;
      if (i0 >= spatial) continue;
      const size_t off = plane * spatial + i0, count = std::min(part, spatial - i0);
      const float* xs = x.read(off, count);
      // float16: normalised in place in the read buffer, then rounded into y (which may be x).
      float* ys = half ? const_cast<float*>(xs) : y + off;
      k.norm_affine(count, xs, ys, pm[plane], pk[plane], pb[plane]);
      if (half) k.f32_to_f16(count, ys, yh + off);
    }
  });
}

}  // namespace os
