// Resize rows: nearest is a gather by a precomputed column index table; linear 2-D is a horizontal
// interpolation of each needed input row followed by a vertical blend of two such rows.
#pragma once
#include <cstddef>
#include <cstdint>

namespace os {

// y[j] = x[idx[j]], j < n.
using ResizeGatherFn = void (*)(size_t n, const float* x, const int32_t* idx, float* y);

// y[j] = x[i0[j]] + w[j] * (x[i1[j]] - x[i0[j]]), j < n.
using ResizeLerpRowFn = void (*)(size_t n, const float* x, const int32_t* i0, const int32_t* i1, const float* w,
                                 float* y);

// y[j] = a[j] + t * (b[j] - a[j]), j < n. y may be a or b.
using ResizeBlendFn = void (*)(size_t n, const float* a, const float* b, float t, float* y);

}  // namespace os
