// Element type conversions.
//
// f16_to_f32 / f32_to_f16: IEEE half bits <-> float32.
//   buffers: x, y (n elements each: uint16 and float32)
//   params:  n
//
// quantize_8bit: y = saturate(round_half_even(x / scale) + zero_point) (QuantizeLinear per tensor).
// dequantize_8bit: y = (x - zero_point) * scale (DequantizeLinear per tensor).
//   buffers: x, y (n elements each: float32 and uint8/int8)
//   params:  type (QuantType), n, scale, zero_point
// Both also store activations as uint8 (com.onnxstream StoreUint8 / LoadUint8: uint8 arithmetic's
// static ranges, uint8 storage's percentiles), whose reference operators do these float32 steps.
#include <cstdint>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"

namespace os {
namespace {

constexpr size_t kGrain = 1 << 16;

}  // namespace

void run_f16_to_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("f16_to_f32", bufs, nbufs, params, nparams, 2, 1);
  const auto n = static_cast<size_t>(a.integer(0, 0, 1LL << 50));
  const uint16_t* x = a.buffer<uint16_t>(0, n);
  float* y = a.buffer<float>(1, n);
  const F16ToF32Fn f = kernels().f16_to_f32;
  parallel_for(n, kGrain, [&](size_t begin, size_t end) { f(end - begin, x + begin, y + begin); });
}

void run_f32_to_f16(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("f32_to_f16", bufs, nbufs, params, nparams, 2, 1);
  const auto n = static_cast<size_t>(a.integer(0, 0, 1LL << 50));
  const float* x = a.buffer<float>(0, n);
  uint16_t* y = a.buffer<uint16_t>(1, n);
  const F32ToF16Fn f = kernels().f32_to_f16;
  parallel_for(n, kGrain, [&](size_t begin, size_t end) { f(end - begin, x + begin, y + begin); });
}

void run_quantize_8bit(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("quantize_8bit", bufs, nbufs, params, nparams, 2, 4);
  const auto type = static_cast<QuantType>(a.integer(0, 0, static_cast<int>(QuantType::s8)));
  const auto n = static_cast<size_t>(a.integer(1, 0, 1LL << 50));
  const auto scale = static_cast<float>(a.number(2));
  const auto zero = static_cast<float>(a.integer(3, -128, 255));
  const float* x = a.buffer<float>(0, n);
  uint8_t* y = a.buffer<uint8_t>(1, n);
  const QuantizeFn f = kernels().quantize;
  parallel_for(n, kGrain, [&](size_t begin, size_t end) { f(type, end - begin, x + begin, y + begin, scale, zero); });
}

void run_dequantize_8bit(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("dequantize_8bit", bufs, nbufs, params, nparams, 2, 4);
  const auto type = static_cast<QuantType>(a.integer(0, 0, static_cast<int>(QuantType::s8)));
  const auto n = static_cast<size_t>(a.integer(1, 0, 1LL << 50));
  const auto scale = static_cast<float>(a.number(2));
  const auto zero = static_cast<float>(a.integer(3, -128, 255));
  const uint8_t* x = a.buffer<uint8_t>(0, n);
  float* y = a.buffer<float>(1, n);
  const DequantizeFn f = kernels().dequantize;
  parallel_for(n, kGrain, [&](size_t begin, size_t end) { f(type, end - begin, x + begin, y + begin, scale, zero); });
}

}  // namespace os
