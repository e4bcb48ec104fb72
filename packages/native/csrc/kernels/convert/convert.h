// Element type conversions: IEEE half <-> float32 (round to nearest even, like the reference's
// toHalf), and float32 <-> 8-bit linear quantisation with one scale and zero point.
#pragma once
#include <cstddef>
#include <cstdint>

namespace os {

using F16ToF32Fn = void (*)(size_t n, const uint16_t* x, float* y);
using F32ToF16Fn = void (*)(size_t n, const float* x, uint16_t* y);

// Order and values are shared with src/kernels.ts.
enum class QuantType : int { u8 = 0, s8 = 1 };

// y[i] = saturate(round_half_even(x[i] / scale) + zero_point); NaN becomes 0 (as in the reference).
// y holds uint8 or int8 bytes as `type` says.
using QuantizeFn = void (*)(QuantType type, size_t n, const float* x, void* y, float scale, float zero_point);

// y[i] = (x[i] - zero_point) * scale.
using DequantizeFn = void (*)(QuantType type, size_t n, const void* x, float* y, float scale, float zero_point);

}  // namespace os
