/**
 * uint8 storage of activations (com.onnxstream StoreUint8 / LoadUint8: uint8 arithmetic's static
 * ranges and the dynamic uint8 storage modes) on the quantize_8bit / dequantize_8bit kernels. The
 * reference operators (ops/fused/uint8-storage.ts) compute in float32 like these kernels: both give
 * the same bits. float16 values go through a float32 buffer (f16_to_f32, f32_to_f16).
 */
import {
  quantizeStoredScale,
  storeQuantization,
  UINT8_STORAGE_ONNX_FLOAT16,
} from '../../../ops/fused/uint8-storage.js';
import { type Quantization, Tensor } from '../../../tensor/tensor.js';
import type { KernelBinding } from '../binding.js';
import { QuantType } from '../kernels.js';
import { float16ToFloat32, type KernelOp, runKernel } from './kernel-op.js';

/** `t`, fresh from allocTensor, as a quantised tensor over the same memory (freed with it). */
export function quantised(t: Tensor, quant: Quantization): Tensor {
  const q = new Tensor('uint8', t.data as Uint8Array, t.dims, quant);
  q.setDisposer(() => t.dispose());
  // A heap that grows (wasm) replaces the memory under the view: take t's view of it again.
  q.setRelocator(() => t.data as Uint8Array);
  return q;
}

export const storeUint8Ops: KernelOp = {
  types: ['com.onnxstream::StoreUint8'],
  supports: (_node, types) => types[0] === 'float32' || types[0] === 'float16',
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const f = x.type === 'float32' ? x : await float16ToFloat32(binding, x);
    try {
      const quant = storeQuantization(call.attrs, () => f.data as Float32Array);
      const y = binding.allocTensor('uint8', x.dims);
      await runKernel(
        binding,
        'quantize_8bit',
        x.size,
        [f.data as Float32Array, y.data as Uint8Array],
        [QuantType.uint8, x.size, quantizeStoredScale(quant), quant.zeroPoint],
      );
      return [quantised(y, quant)];
    } finally {
      if (f !== x) f.dispose();
    }
  },
};

export const loadUint8Ops: KernelOp = {
  types: ['com.onnxstream::LoadUint8'],
  supports: (_node, types) => types[0] === 'uint8',
  async run(call, binding) {
    const q = call.inputs[0] as Tensor;
    if (!q.quant) throw new Error('input must be a quantised uint8 tensor');
    const half = call.attrs.int('to', 1) === UINT8_STORAGE_ONNX_FLOAT16;
    const f = binding.allocTensor('float32', q.dims);
    await runKernel(
      binding,
      'dequantize_8bit',
      q.size,
      [q.data as Uint8Array, f.data as Float32Array],
      [QuantType.uint8, q.size, quantizeStoredScale(q.quant), q.quant.zeroPoint],
    );
    if (!half) return [f];
    try {
      const y = binding.allocTensor('float16', q.dims);
      await runKernel(
        binding,
        'f32_to_f16',
        q.size,
        [f.data as Float32Array, y.data as Uint16Array],
        [q.size],
      );
      return [y];
    } finally {
      f.dispose();
    }
  },
};
