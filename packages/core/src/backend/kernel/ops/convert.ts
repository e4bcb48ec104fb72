/**
 * Conversions: Cast between float16 and float32 (F16C / NEON / scalar kernels), and per-tensor
 * QuantizeLinear / DequantizeLinear between float32 and uint8 or int8. Per-axis and blocked
 * quantisation stay with the reference.
 */
import { type DataType, scalarOf, type Tensor } from '../../../index.js';
import { QuantType } from '../kernels.js';
import { type KernelOp, outputDims, runKernel } from './kernel-op.js';
import { attrsOf, reference } from './support.js';

/** ONNX TensorProto codes of the types converted here. */
const ONNX_FLOAT = 1;
const ONNX_UINT8 = 2;
const ONNX_INT8 = 3;
const ONNX_FLOAT16 = 10;

export const castOps: KernelOp = {
  types: ['Cast'],
  supports(node, types) {
    const to = attrsOf(node).int('to', 0);
    return (types[0] === 'float16' && to === ONNX_FLOAT) || (types[0] === 'float32' && to === ONNX_FLOAT16);
  },
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const toHalf = x.type === 'float32';
    const y = binding.allocTensor(toHalf ? 'float16' : 'float32', outputDims(call));
    const name = toHalf ? 'f32_to_f16' : 'f16_to_f32';
    await runKernel(binding, name, x.size, [x.data as ArrayBufferView, y.data as ArrayBufferView], [x.size]);
    return [y];
  },
};

const QUANT: Partial<Record<DataType, number>> = { uint8: QuantType.uint8, int8: QuantType.int8 };

/** The zero point's value (0 without one). */
const zeroOf = (t: Tensor | undefined): number => (t ? scalarOf(t, 'zero point') : 0);

export const quantizeOps: KernelOp = {
  types: ['QuantizeLinear'],
  supports(node, types) {
    const a = attrsOf(node);
    const out = a.int('output_dtype', 0);
    return (
      types[0] === 'float32' &&
      types[1] === 'float32' &&
      (types[2] === undefined || types[2] in QUANT) &&
      (out === 0 || out === ONNX_UINT8 || out === ONNX_INT8) &&
      a.int('block_size', 0) === 0 &&
      a.int('precision', 0) === 0
    );
  },
  async run(call, binding) {
    const [x, scale, zp] = call.inputs as (Tensor | undefined)[];
    const dims = outputDims(call);
    const out = call.attrs.int('output_dtype', 0);
    const named: DataType | undefined = out === ONNX_INT8 ? 'int8' : out === ONNX_UINT8 ? 'uint8' : undefined;
    const type = zp?.type ?? named ?? 'uint8';
    // Per-axis scales, and a zero point that contradicts output_dtype (an error), go to the reference.
    if (scale!.size !== 1 || (zp && zp.size !== 1) || (named && type !== named)) return reference(call);
    const y = binding.allocTensor(type, dims);
    await runKernel(
      binding,
      'quantize_8bit',
      x!.size,
      [x!.data as Float32Array, y.data as ArrayBufferView],
      [QUANT[type]!, x!.size, scalarOf(scale!, 'scale'), zeroOf(zp)],
    );
    return [y];
  },
};

export const dequantizeOps: KernelOp = {
  types: ['DequantizeLinear'],
  supports(node, types) {
    const a = attrsOf(node);
    const out = a.int('output_dtype', 0);
    return (
      types[0] !== undefined &&
      types[0] in QUANT &&
      types[1] === 'float32' &&
      (types[2] === undefined || types[2] === types[0]) &&
      (out === 0 || out === ONNX_FLOAT) &&
      a.int('block_size', 0) === 0
    );
  },
  async run(call, binding) {
    const [x, scale, zp] = call.inputs as (Tensor | undefined)[];
    if (scale!.size !== 1 || (zp && zp.size !== 1)) return reference(call);
    const y = binding.allocTensor('float32', outputDims(call));
    await runKernel(
      binding,
      'dequantize_8bit',
      x!.size,
      [x!.data as ArrayBufferView, y.data as Float32Array],
      [QUANT[x!.type]!, x!.size, scalarOf(scale!, 'scale'), zeroOf(zp)],
    );
    return [y];
  },
};
