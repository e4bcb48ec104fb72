// Normalisation building blocks: the statistics of a run of floats, and the normalising maps
// (one scale and shift for a whole run, or per-element affine parameters along it).
#pragma once
#include <cstddef>

namespace os {

// sum and sum of squares of (x[i] - center) over n values. Vector lanes accumulate in float over
// short chunks and the chunks in double, so long runs (a GroupNorm group of 10^5 values) keep the
// precision of the reference's float64 sums. Two calls make the two-pass variance: center 0 gives
// the mean, center = mean the squared deviations.
using NormSumsFn = void (*)(size_t n, const float* x, float center, double* sum, double* sumsq);

// y[i] = (x[i] - mean) * k + shift. y may be x.
using NormAffineFn = void (*)(size_t n, const float* x, float* y, float mean, float k, float shift);

// y[i] = (x[i] - mean) * inv * scale[i] + bias[i] (bias may be null). y may be x.
using NormRowFn = void (*)(size_t n, const float* x, float* y, float mean, float inv, const float* scale,
                           const float* bias);

}  // namespace os
