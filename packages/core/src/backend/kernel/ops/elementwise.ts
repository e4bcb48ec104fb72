/**
 * Elementwise operators on float32: binary arithmetic with numpy broadcasting (and FusedAdd's
 * activation applied while the row is in cache), and unary activations. Both write in place into
 * an input that dies with them (KernelCall donated).
 */
import { broadcastStrides, type KernelCall, scalarOf, type Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { BinaryOp, UnaryOp } from '../kernels.js';
import { allFloat32, elementwiseOutput, type KernelOp, outputDims, runKernel } from './kernel-op.js';

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

const keyOf = (call: KernelCall) =>
  call.node.domain ? `${call.node.domain}::${call.node.opType}` : call.node.opType;

export const binaryOps: KernelOp = {
  types: Object.keys(BINARY),
  supports: (node, types) =>
    node.inputs.length === 2 && allFloat32(types) && types.every((t) => t !== undefined),
  async run(call, binding) {
    const [a, b] = call.inputs as Tensor[];
    const dims = outputDims(call);
    const y = elementwiseOutput(call, binding, dims, [0, 1]);
    const rank = Math.max(1, dims.length);
    const full = dims.length === 0 ? [1] : dims;
    const as = broadcastStrides(a.dims.length ? a.dims : [1], full);
    const bs = broadcastStrides(b.dims.length ? b.dims : [1], full);
    await runKernel(
      binding,
      'binary_f32',
      y.size,
      [a.data as Float32Array, b.data as Float32Array, y.data as Float32Array],
      [BINARY[keyOf(call)], call.node.domain ? activationCode(call) : -1, 0, 0, rank, ...full, ...as, ...bs],
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
  supports: (node, types) =>
    types[0] === 'float32' &&
    (node.opType !== 'Clip' || types.slice(1).every((t) => t === undefined || t === 'float32')),
  async run(call, binding: KernelBinding) {
    const x = call.inputs[0] as Tensor;
    const [op, alpha, beta] = UNARY[keyOf(call)](call);
    const y = elementwiseOutput(call, binding, x.dims, [0]);
    await runKernel(
      binding,
      'unary_f32',
      x.size,
      [x.data as Float32Array, y.data as Float32Array],
      [op, alpha, beta, x.size],
    );
    return [y];
  },
};
