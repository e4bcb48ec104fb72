#include "../common/simd/wasmsimd.h"
#include "../kernels/conv/winograd-impl.h"
#include "make-table.h"

namespace os {
// Without FMA a multiply-add is two instructions: 3x3 stride-1 convolutions take the Winograd path,
// which does 2.25 times fewer of them.
KernelTable table_wasmsimd() {
  KernelTable t = make_table<simd::WasmSimd>(Isa::wasmsimd);
  t.winograd = impl::winograd_kernels<simd::WasmSimd>();
  // Stride-2 convolutions' B rows packed: YOLOv8n's 1.2-1.5 times faster from K = 288 on; so are
  // the masked rows of "same" convolutions for more than two tiles (SD's UNet at 32x32 and below,
  // two threads, 1.4-2 times faster).
  t.gemm.rows_in_place = false;
  t.gemm.in_place_tiles = 2;
  // Depthwise 3x3 convolutions 4 channels at a time: UltraFace's layers 0.36-0.85 of the time of
  // dwconv3x3 and the phase planes (one thread; the model 12.8 -> 11.4 ms best), 16 channels at
  // 120 rows 0.7-0.85 up to 640 columns at either stride.
  t.dwconv3x3_block = &impl::dwconv3x3_block<simd::WasmSimd>;
  t.dwconv3x3_block_channels = simd::WasmSimd::N;
  t.dwconv3x3_block_s1_max_width = SIZE_MAX;
  return t;
}
}  // namespace os
