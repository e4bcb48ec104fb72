// 2-D pooling of NCHW float32 planes, one output row per call, vectorised along the width; and the
// whole-plane reductions of the global pools.
#pragma once
#include <cstddef>

namespace os {

// Order and values are shared with src/kernels.ts.
enum class PoolOp : int { max = 0, avg = 1 };

// One output row: the window's in-bounds input rows are given (the operator clips the height), the
// kernel clips the width. avg divides by hcount * (taps along the width), where both counts take in
// the padding (not the ceil_mode overhang) when include_pad is set.
struct PoolRow {
  PoolOp op;
  const float* const* rows;
  size_t nrows;
  size_t in_w, out_w;
  size_t kernel, stride, dilation;
  size_t pad_begin, pad_end;
  bool include_pad;
  size_t hcount;
};

using PoolRowFn = void (*)(const PoolRow& p, float* y);

// max or mean of n values.
using PoolGlobalFn = float (*)(PoolOp op, size_t n, const float* x);

}  // namespace os
