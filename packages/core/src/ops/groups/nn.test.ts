/**
 * Behaviour of the NN group's kernels that the ONNX conformance cases do not cover: the blocked
 * GEMM's edge tiles, OnnxStream text attributes and Conv1D weights, older-opset semantics,
 * quantisation rounding and remainder blocks, and the errors for inconsistent shapes.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import type { OpDef, ValueMeta } from '../op.js';
import { callInfer, callTensorKernel } from '../support/kernel-call.js';
import { NN_OPS } from './nn.js';

const op = (type: string): OpDef => NN_OPS.find((o) => o.type === type)!;

const text = (value: string): AttrValue => ({ type: 'text', value });
const infer = (type: string, inputs: (ValueMeta | undefined)[]) => callInfer(op(type), inputs);

const f32 = (values: number[], dims = [values.length]) => new Tensor('float32', values, dims);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
const iota = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));

/** Textbook triple loop, the oracle for the blocked kernel. */
function naiveMatMul(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

function expectClose(got: number[], want: number[], rel = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(rel * (1 + Math.abs(want[i])));
}

describe('MatMul and Gemm', () => {
  it('the packed kernel handles edge tiles: rows and columns not multiples of 4, k and n beyond one block', async () => {
    const [m, k, n] = [7, 300, 530];
    const a = iota(m * k, (i) => Math.sin(i));
    const b = iota(k * n, (i) => Math.cos(i));
    const [y] = await callTensorKernel(op('MatMul'), [f32(a, [m, k]), f32(b, [k, n])]);
    expect(y.dims).toEqual([m, n]);
    expectClose(values(y), naiveMatMul(a, b, m, k, n), 1e-4);
  });

  it('Gemm with transB multiplies by the stored [N, K] matrix, also for fewer than 4 rows', async () => {
    const [k, n] = [9, 6];
    const bT = iota(n * k, (i) => (i % 7) - 3);
    const b = iota(k * n, (i) => bT[(i % n) * k + Math.floor(i / n)]);
    for (const m of [2, 5]) {
      const a = iota(m * k, (i) => (i % 5) - 2);
      const [y] = await callTensorKernel(op('Gemm'), [f32(a, [m, k]), f32(bT, [n, k])], { transB: 1 });
      expect(values(y)).toEqual(naiveMatMul(a, b, m, k, n));
    }
  });

  it('int32 MatMul is exact and keeps its type', async () => {
    const a = new Tensor('int32', [1, 2, 3, 4], [2, 2]);
    const b = new Tensor('int32', [5, 6, 7, 8], [2, 2]);
    const [y] = await callTensorKernel(op('MatMul'), [a, b]);
    expect(y.type).toBe('int32');
    expect(values(y)).toEqual([19, 22, 43, 50]);
  });

  it('Gemm: alpha * A^T . B + beta * C with C broadcast from (N)', async () => {
    // A^T = [[1, 2], [3, 4]], B = I, C = [10, 20]: 2 * A^T + 0.5 * C.
    const [y] = await callTensorKernel(
      op('Gemm'),
      [f32([1, 3, 2, 4], [2, 2]), f32([1, 0, 0, 1], [2, 2]), f32([10, 20], [2])],
      { transA: 1, alpha: 2, beta: 0.5 },
    );
    expect(values(y)).toEqual([7, 14, 11, 18]);
  });

  it('shape rules: broadcast batch dims, 1-D promotion, unknown dims stay unknown, bad inner dims throw', async () => {
    expect(infer('MatMul', [{ dims: [3, 1, 2, 4] }, { dims: [5, 4, 6] }])[0].dims).toEqual([3, 5, 2, 6]);
    expect(infer('MatMul', [{ dims: [4] }, { dims: [2, 4, 3] }])[0].dims).toEqual([2, 3]);
    expect(infer('MatMul', [{ dims: [null, 4] }, { dims: [4, null] }])[0].dims).toEqual([null, null]);
    expect(() => infer('MatMul', [{ dims: [2, 3] }, { dims: [4, 5] }])).toThrow(
      'MatMul inner dimensions differ: [2,3] x [4,5]',
    );
    await expect(callTensorKernel(op('Gemm'), [f32(iota(6), [2, 3]), f32(iota(8), [4, 2])])).rejects.toThrow(
      'Gemm inner dimensions differ: 3 and 4',
    );
  });
});

describe('Conv', () => {
  const ones = (dims: number[]) =>
    f32(
      iota(
        dims.reduce((p, d) => p * d, 1),
        () => 1,
      ),
      dims,
    );

  it('reads OnnxStream text attributes (model.txt): 3x3 ones with padding 1 count the taps inside', async () => {
    const [y] = await callTensorKernel(op('Conv'), [ones([1, 1, 3, 3]), ones([1, 1, 3, 3])], {
      dilations: text('1,1'),
      group: text('1'),
      kernel_shape: text('3,3'),
      pads: text('1,1,1,1'),
      strides: text('1,1'),
    });
    expect(values(y)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('accepts OnnxStream Conv1D weights (O, I, K, 1) against a 3-D input', async () => {
    const x = f32([1, 2, 3, 4], [1, 1, 4]);
    const w = f32([1, 10], [1, 1, 2, 1]);
    const [y] = await callTensorKernel(op('Conv'), [x, w], {
      kernel_shape: text('2'),
      pads: text('0,0'),
      strides: text('1'),
    });
    expect(y.dims).toEqual([1, 1, 3]);
    expect(values(y)).toEqual([21, 32, 43]);
  });

  it('grouped, strided and dilated convolution with bias (depthwise 2 channels)', async () => {
    const x = f32(iota(2 * 5 * 5), [1, 2, 5, 5]);
    const w = f32([1, 0, 0, 1, 2, 0, 0, 0], [2, 1, 2, 2]);
    const [y] = await callTensorKernel(op('Conv'), [x, w, f32([100, 0])], {
      group: 2,
      strides: [2, 2],
      dilations: [2, 2],
    });
    // Effective kernel 3, stride 2 over 5: 2 x 2 outputs. Channel 0 holds 5r + c, channel 1 25 + 5r + c:
    // out0 = x[2i][2j] + x[2i+2][2j+2] + 100, out1 = 2 * x[2i][2j].
    expect(y.dims).toEqual([1, 2, 2, 2]);
    expect(values(y)).toEqual([112, 116, 132, 136, 50, 54, 70, 74]);
  });

  it('3-D convolution (direct N-d path): a 2x2x2 window of ones sums 8 ones', async () => {
    const [y] = await callTensorKernel(op('Conv'), [ones([1, 1, 3, 3, 3]), ones([1, 1, 2, 2, 2])]);
    expect(y.dims).toEqual([1, 1, 2, 2, 2]);
    expect(values(y)).toEqual([8, 8, 8, 8, 8, 8, 8, 8]);
  });

  it('rejects channel counts that do not match the weight', async () => {
    await expect(callTensorKernel(op('Conv'), [ones([1, 3, 4, 4]), ones([2, 2, 3, 3])])).rejects.toThrow(
      'input has 3 channels, weight expects 2 x group 1',
    );
  });
});

describe('ConvTranspose', () => {
  it('auto_pad SAME_UPPER puts the odd padding at the end, SAME_LOWER at the start', async () => {
    // Full transposed output of [1, 2] with [1, 1, 1] at stride 2 is [1, 1, 3, 2, 2]; SAME keeps 2 x 2 = 4.
    const x = f32([1, 2], [1, 1, 2]);
    const w = f32([1, 1, 1], [1, 1, 3]);
    const convTranspose = op('ConvTranspose');
    const [upper] = await callTensorKernel(convTranspose, [x, w], { strides: [2], auto_pad: 'SAME_UPPER' });
    const [lower] = await callTensorKernel(convTranspose, [x, w], { strides: [2], auto_pad: 'SAME_LOWER' });
    expect(values(upper)).toEqual([1, 1, 3, 2]);
    expect(values(lower)).toEqual([1, 3, 2, 2]);
  });
});

describe('softmax family', () => {
  it('opset 11 Softmax coerces the input to 2-D at axis', async () => {
    const [y] = await callTensorKernel(
      op('Softmax'),
      [f32([0, 0, 0, 0], [2, 2])],
      { axis: 0 },
      { opset: 11 },
    );
    expect(values(y)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('parses a text axis and gives zeros for a fully masked (-inf) line', async () => {
    const [y] = await callTensorKernel(
      op('Softmax'),
      [f32([-Infinity, -Infinity, 0, Math.log(3)], [2, 2])],
      { axis: text('-1') },
      { opset: 17 },
    );
    expectClose(values(y), [0, 0, 0.25, 0.75]);
  });

  it('Hardmax marks the first maximum', async () => {
    const [y] = await callTensorKernel(op('Hardmax'), [f32([3, 7, 7, 1])], {}, { opset: 13 });
    expect(values(y)).toEqual([0, 1, 0, 0]);
  });
});

describe('normalisations', () => {
  it('BatchNormalization training (opset 14) outputs running statistics with momentum', async () => {
    // Channel 0 holds 1 and 3 (mean 2, variance 1), channel 1 holds 2 and 6 (mean 4, variance 4).
    const x = f32([1, 2, 3, 6], [2, 2]);
    const [y, mean, variance] = await callTensorKernel(
      op('BatchNormalization'),
      [x, f32([1, 1]), f32([0, 0]), f32([0, 10]), f32([1, 1])],
      { training_mode: 1, momentum: 0.5, epsilon: 0 },
      { opset: 15, outputCount: 3 },
    );
    expect(values(y)).toEqual([-1, -1, 1, 1]);
    expect(values(mean)).toEqual([1, 7]);
    expect(values(variance)).toEqual([1, 2.5]);
  });

  it('GroupNormalization opset 18 takes one scale and bias per group', async () => {
    const x = f32([1, 3, 5, 7], [1, 4, 1, 1]);
    const [y] = await callTensorKernel(
      op('GroupNormalization'),
      [x, f32([1, 2]), f32([0, 10])],
      { num_groups: 2, epsilon: 0 },
      { opset: 18 },
    );
    expect(values(y)).toEqual([-1, 1, 8, 12]);
  });

  it('LayerNormalization parses a text epsilon and rejects a scale that does not broadcast', async () => {
    const x = f32([1, 3, 2, 6], [2, 2]);
    const [y] = await callTensorKernel(
      op('LayerNormalization'),
      [x, f32([1, 1])],
      { epsilon: text('0') },
      { opset: 17 },
    );
    expect(values(y)).toEqual([-1, 1, -1, 1]);
    await expect(
      callTensorKernel(op('LayerNormalization'), [x, f32([1, 1, 1])], {}, { opset: 17 }),
    ).rejects.toThrow('scale of shape [3] does not broadcast to the normalised shape [2]');
  });
});

describe('quantisation', () => {
  it('QuantizeLinear rounds half to even and saturates', async () => {
    const x = f32([0.5, 1.5, 2.5, -0.5, -1.5, 300, -300]);
    const [y] = await callTensorKernel(op('QuantizeLinear'), [x, f32([1], []), new Tensor('int8', [0], [])]);
    expect(y.type).toBe('int8');
    expect(values(y)).toEqual([0, 2, 2, 0, -2, 127, -128]);
  });

  it('blocked quantisation with a remainder block (block_size 3 over 4 elements)', async () => {
    const x = f32([3, 6, 9, 8]);
    const [y] = await callTensorKernel(
      op('QuantizeLinear'),
      [x, f32([3, 4]), new Tensor('uint8', [1, 2], [2])],
      { axis: 0, block_size: 3 },
    );
    expect(values(y)).toEqual([2, 3, 4, 4]);
  });

  it('float8 without saturation overflows to NaN (e4m3fn has no infinity)', async () => {
    const zero = new Tensor('float8e4m3fn', [0], []);
    const [sat] = await callTensorKernel(op('QuantizeLinear'), [f32([1000]), f32([1], []), zero]);
    const [wrap] = await callTensorKernel(op('QuantizeLinear'), [f32([1000]), f32([1], []), zero], {
      saturate: 0,
    });
    expect(values(sat)).toEqual([0x7e]);
    expect(values(wrap)).toEqual([0x7f]);
  });

  it('DequantizeLinear per axis on int4', async () => {
    const x = new Tensor('int4', [-8, 7, 1, 2], [2, 2]);
    const [y] = await callTensorKernel(
      op('DequantizeLinear'),
      [x, f32([0.5, 2]), new Tensor('int4', [0, 1], [2])],
      { axis: 0 },
    );
    expect(values(y)).toEqual([-4, 3.5, 0, 2]);
  });
});

describe('Einsum', () => {
  it('implicit output: letters used once, alphabetically (a transpose for "ba")', async () => {
    const [y] = await callTensorKernel(op('Einsum'), [f32([1, 2, 3, 4, 5, 6], [2, 3])], { equation: 'ba' });
    expect(y.dims).toEqual([3, 2]);
    expect(values(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('ellipsis dims broadcast between operands', async () => {
    // a: (2, 1) batches of 2 x 2 matrices 0..7; b: 3 batches of (e + 1) * [1, 1]^T: row sums times e + 1.
    const a = f32(iota(8), [2, 1, 2, 2]);
    const b = f32([1, 1, 2, 2, 3, 3], [3, 2, 1]);
    const [y] = await callTensorKernel(op('Einsum'), [a, b], { equation: '...ij,...jk->...ik' });
    expect(y.dims).toEqual([2, 3, 2, 1]);
    expect(values(y)).toEqual([1, 5, 2, 10, 3, 15, 9, 13, 18, 26, 27, 39]);
  });
});

describe('Attention', () => {
  it('rejects query heads that are not a multiple of the key/value heads', async () => {
    const q = f32(iota(3 * 2), [1, 3, 1, 2]);
    const kv = f32(iota(2 * 2), [1, 2, 1, 2]);
    await expect(callTensorKernel(op('Attention'), [q, kv, kv])).rejects.toThrow(
      '3 query heads are not a multiple of 2 key/value heads',
    );
  });
});
