/**
 * Elementwise operators on float32: binary arithmetic with numpy broadcasting (and FusedAdd's
 * activation applied while the row is in cache), and unary activations. Both write in place into
 * an input that dies with them (KernelCall donated). Under fp16 arithmetic they take float16
 * tensors, which the kernels convert a run at a time (computing in float32, rounding each result).
 */
import { broadcastStrides, type KernelCall, scalarOf, type Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { BinaryOp, ElemType, UnaryOp } from '../kernels.js';
import {
  allFloat16,
  allFloat32,
  elementwiseOutput,
  type KernelOp,
  outputDims,
  runKernel,
} from './kernel-op.js';

const BINARY: Record<string, number> = {
  Add: BinaryOp.add,
  Sub: BinaryOp.sub,
  Mul: BinaryOp.mul,
  Div: BinaryOp.div,
  Max: BinaryOp.max,
  Min: BinaryOp.min,
  'com.onnxstream::FusedAdd': BinaryOp.add,
};

/** A fused operator's `activation` attribute as a unary kernel op (-1: none). */
export function activationCode(call: KernelCall): number {
  const a = call.attrs.string('activation', 'none');
  if (a === 'none') return -1;
  const code = (UnaryOp as Record<string, number>)[a];
  if (code === undefined) throw new Error(`activation '${a}' has no kernel`);
  return code;
}

/** The kernels' trailing element-type parameter: given for float16 only (float32 is the default). */
const HALF = [ElemType.float16] as const;
const NONE = [] as const;

const keyOf = (call: KernelCall) =>
  call.node.domain ? `${call.node.domain}::${call.node.opType}` : call.node.opType;

export const binaryOps: KernelOp = {
  types: Object.keys(BINARY),
  placesOutputs: true,
  replayable: true,
  supports: (node, types) =>
    node.inputs.length === 2 &&
    (allFloat32(types) || allFloat16(types)) &&
    types.every((t) => t !== undefined),
  async run(call, binding) {
    const [a, b] = call.inputs as Tensor[];
    const dims = outputDims(call);
    const half = a.type === 'float16';
    const y = elementwiseOutput(call, binding, dims, [0, 1], half ? 'float16' : 'float32');
    const rank = Math.max(1, dims.length);
    const full = dims.length === 0 ? [1] : dims;
    const as = broadcastStrides(a.dims.length ? a.dims : [1], full);
    const bs = broadcastStrides(b.dims.length ? b.dims : [1], full);
    await runKernel(
      binding,
      'binary_f32',
      y.size,
      [a.data as ArrayBufferView, b.data as ArrayBufferView, y.data as ArrayBufferView],
      [
        BINARY[keyOf(call)],
        call.node.domain ? activationCode(call) : -1,
        0,
        0,
        rank,
        ...full,
        ...as,
        ...bs,
        ...(half ? HALF : NONE),
      ],
    );
    return [y];
  },
};

/** Unary operators and how their parameters come from attributes or inputs. */
const UNARY: Record<string, (call: KernelCall) => [number, number, number]> = {
  Relu: () => [UnaryOp.relu, 0, 0],
  Sigmoid: () => [UnaryOp.sigmoid, 0, 0],
  Tanh: () => [UnaryOp.tanh, 0, 0],
  Exp: () => [UnaryOp.exp, 0, 0],
  Neg: () => [UnaryOp.neg, 0, 0],
  Abs: () => [UnaryOp.abs, 0, 0],
  Sqrt: () => [UnaryOp.sqrt, 0, 0],
  Reciprocal: () => [UnaryOp.reciprocal, 0, 0],
  Erf: () => [UnaryOp.erf, 0, 0],
  HardSwish: () => [UnaryOp.hardSwish, 0, 0],
  LeakyRelu: (c) => [UnaryOp.leakyRelu, c.attrs.float('alpha', 0.01), 0],
  HardSigmoid: (c) => [UnaryOp.hardSigmoid, c.attrs.float('alpha', 0.2), c.attrs.float('beta', 0.5)],
  Clip: (c) => {
    const lo =
      c.opset < 11 ? c.attrs.float('min', -Infinity) : c.inputs[1] ? scalarOf(c.inputs[1], 'min') : -Infinity;
    const hi =
      c.opset < 11 ? c.attrs.float('max', Infinity) : c.inputs[2] ? scalarOf(c.inputs[2], 'max') : Infinity;
    return [UnaryOp.clip, lo, hi];
  },
  'com.onnxstream::Silu': () => [UnaryOp.silu, 0, 0],
  'com.onnxstream::Gelu': () => [UnaryOp.gelu, 0, 0],
};

export const unaryOps: KernelOp = {
  types: Object.keys(UNARY),
  placesOutputs: true,
  replayable: true,
  supports: (node, types) =>
    (types[0] === 'float32' || types[0] === 'float16') &&
    (node.opType !== 'Clip' || types.slice(1).every((t) => t === undefined || t === types[0])),
  async run(call, binding: KernelBinding) {
    const x = call.inputs[0] as Tensor;
    const [op, alpha, beta] = UNARY[keyOf(call)](call);
    const half = x.type === 'float16';
    const y = elementwiseOutput(call, binding, x.dims, [0], half ? 'float16' : 'float32');
    await runKernel(
      binding,
      'unary_f32',
      x.size,
      [x.data as ArrayBufferView, y.data as ArrayBufferView],
      [op, alpha, beta, x.size, ...(half ? HALF : NONE)],
    );
    return [y];
  },
};
