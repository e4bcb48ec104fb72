/**
 * fp16 arithmetic: Conv/FusedConv, MatMul, Gemm, the normalisations, the elementwise operators,
 * attention, Softmax, MatMulGeglu/Geglu, pooling, Resize and data movement over float16 tensors
 * on the native kernels, which convert as they pack, read and store and compute in float32 (on x86;
 * ARM64 with FP16 arithmetic runs the float16 GEMM for MatMul/Gemm, checked by the C++ kernel
 * tests). Against the reference kernels on the same float16 inputs: products sum in float32 and
 * round once to float16 in both, in different orders, so a result may land one float16 step away
 * (rtol 2^-10) where the float32 sums straddle a rounding boundary, plus the float32 sums' own
 * difference near zero (atol). Elementwise results round the same float32 value (the activations
 * within a few float32 ulps of the reference's): one step at most. Data movement, max pooling and
 * nearest resizing move float16 values as they are: the same bits.
 */
import {
  type AttrInput,
  callTensorKernel,
  findOp,
  fromHalf,
  type Node,
  Tensor,
  toHalf,
} from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { random } from './helpers.js';

const half = (dims: number[], seed: number, lo = -1, hi = 1): Tensor =>
  new Tensor(
    'float16',
    Uint16Array.from(
      random(
        dims.reduce((a, b) => a * b, 1),
        seed,
        lo,
        hi,
      ),
      toHalf,
    ),
    dims,
  );

const nodeOf = (
  opType: string,
  domain: string,
  inputs: number,
  attrs: Record<string, AttrInput>,
  outputs = 1,
): Node => ({
  name: opType,
  opType,
  domain,
  inputs: ['x', 'w', 'b', 'mean', 'var', 'v'].slice(0, inputs),
  outputs: ['y', 'z', 'u'].slice(0, outputs),
  attributes: new Map(
    Object.entries(attrs).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? { type: 'string', value: v }
        : Array.isArray(v)
          ? { type: 'ints', value: v as number[] }
          : Number.isInteger(v)
            ? { type: 'int', value: v as number }
            : { type: 'float', value: v as number },
    ]),
  ) as Node['attributes'],
});

/**
 * Largest error over one float16 step of the reference's value (rtol 2^-10) plus the float32
 * kernels' own bound against the reference (`atol`, and `rtol` where they have one).
 */
function worstHalf(got: Tensor, want: Tensor, atol: number, rtol = 0): number {
  expect(got.type).toBe('float16');
  expect(got.dims).toEqual(want.dims);
  const a = got.data as Uint16Array;
  const b = want.data as Uint16Array;
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    const x = fromHalf(a[i]);
    const y = fromHalf(b[i]);
    w = Math.max(w, Math.abs(x - y) / (atol + (2 ** -10 + rtol) * Math.abs(y)));
  }
  return w;
}

/**
 * Runs `type` on float16 inputs natively (the weights, inputs 1 on, prepared as kept or streamed
 * weights when `prepare` says) and on the reference kernel: every output of each.
 */
async function outputsOfBoth(
  type: string,
  domain: string,
  inputs: Tensor[],
  attrs: Record<string, AttrInput>,
  prepare?: 'kept' | 'streamed',
  outputCount = 1,
): Promise<[Tensor[], Tensor[]]> {
  const node = nodeOf(type, domain, inputs.length, attrs, outputCount);
  expect(
    nativeBackend.supports(
      node,
      inputs.map((t) => t.type),
      21,
    ),
  ).toBe(true);
  // Every input but the first as a weight, prepared as the executor prepares weights.
  const given = inputs.map((t, i) =>
    prepare && i > 0 ? (nativeBackend.prepareWeight!(node, i, t, prepare === 'kept') ?? t) : t,
  );
  const op = findOp(domain, type)!;
  const native = await callTensorKernel(op, given, attrs, { backend: nativeBackend, outputCount });
  const reference = await callTensorKernel(op, inputs, attrs, { outputCount });
  return [native, reference];
}

async function both(
  type: string,
  domain: string,
  inputs: Tensor[],
  attrs: Record<string, AttrInput>,
  prepare?: 'kept' | 'streamed',
): Promise<[Tensor, Tensor]> {
  const [[native], [reference]] = await outputsOfBoth(type, domain, inputs, attrs, prepare);
  return [native, reference];
}

/** Whether two float16 tensors hold the same bits in the same shape. */
function expectSameBits(got: Tensor, want: Tensor, what: string): void {
  expect(got.type, what).toBe('float16');
  expect(got.dims, what).toEqual(want.dims);
  expect(
    Buffer.from(
      (got.data as Uint16Array).buffer,
      (got.data as Uint16Array).byteOffset,
      got.byteLength,
    ).equals(
      Buffer.from((want.data as Uint16Array).buffer, (want.data as Uint16Array).byteOffset, want.byteLength),
    ),
    what,
  ).toBe(true);
}

const float32Of = (t: Tensor): Tensor =>
  new Tensor('float32', Float32Array.from(t.data as Uint16Array, fromHalf), t.dims);

const halfOf = (t: Tensor): Tensor =>
  new Tensor('float16', Uint16Array.from(t.data as Float32Array, toHalf), t.dims);

/** Resize scales as the float16 constant fp16 arithmetic makes of them. */
const half4 = (values: number[]): Tensor =>
  new Tensor('float16', Uint16Array.from(values, toHalf), [values.length]);

const int64 = (values: number[]): Tensor =>
  new Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);

describe.each(nativeInfo().isas)('float16 operators on the native kernels, %s', (isa) => {
  it.each<{
    type: string;
    domain?: string;
    a: number[];
    b?: number[];
    attrs?: Record<string, AttrInput>;
    atol?: number;
  }>([
    { type: 'Add', a: [3, 33], b: [33] },
    { type: 'Mul', a: [2, 3, 17], b: [2, 1, 17] },
    { type: 'Sub', a: [1000], b: [] },
    { type: 'Div', a: [], b: [3, 5] },
    {
      type: 'FusedAdd',
      domain: 'com.onnxstream',
      a: [1, 16, 9, 9],
      b: [16, 1, 1],
      attrs: { activation: 'silu' },
    },
    { type: 'FusedAdd', domain: 'com.onnxstream', a: [4, 5000], b: [4, 5000], attrs: { activation: 'relu' } },
    { type: 'Sigmoid', a: [3, 4100] },
    { type: 'Silu', domain: 'com.onnxstream', a: [2, 77] },
    { type: 'Gelu', domain: 'com.onnxstream', a: [50], atol: 1.5e-6 }, // its float32 bound (elementwise.test.ts)
    { type: 'Tanh', a: [33] },
  ])('$type $a $b', async ({ type, domain, a, b, attrs, atol }) => {
    useIsa(isa);
    const inputs = b ? [half(a, 9, -3, 3), half(b, 10, -3, 3)] : [half(a, 9, -6, 6)];
    const [native, reference] = await both(type, domain ?? '', inputs, attrs ?? {});
    expect(worstHalf(native, reference, atol ?? 2 ** -24)).toBeLessThanOrEqual(1);
  });

  // The float32 norm kernels' bound against the reference (norm.test.ts): rtol 1e-4, atol 2e-5.
  it.each<{ type: string; x: number[]; params: number[][]; attrs?: Record<string, AttrInput> }>([
    { type: 'InstanceNormalization', x: [2, 6, 5, 7], params: [[6], [6]] },
    // SD's GroupNorm as exported: InstanceNormalization over (N, groups, channels/groups * H * W),
    // long enough to be split into chunks (each converted on its own).
    { type: 'InstanceNormalization', x: [1, 4, 70000], params: [[4], [4]] },
    { type: 'GroupNormalization', x: [1, 8, 3, 3], params: [[8], [8]], attrs: { num_groups: 4 } },
    { type: 'BatchNormalization', x: [2, 3, 4, 5], params: [[3], [3], [3], [3]] },
    { type: 'LayerNormalization', x: [3, 77, 40], params: [[40], [40]] },
    { type: 'LayerNormalization', x: [5, 33], params: [[33]], attrs: { axis: -1 } },
  ])('$type $x', async ({ type, x, params, attrs }) => {
    useIsa(isa);
    // Variances must be positive: BatchNormalization's last input is drawn from [0.5, 2].
    const inputs = [
      half(x, 11, -4, 4),
      ...params.map((d, i) =>
        type === 'BatchNormalization' && i === 3 ? half(d, 20 + i, 0.5, 2) : half(d, 20 + i),
      ),
    ];
    const [native, reference] = await both(type, '', inputs, attrs ?? {});
    expect(worstHalf(native, reference, 2e-5, 1e-4)).toBeLessThanOrEqual(1);
  });

  it.each<{ name: string; x: number[]; w: number[]; attrs: Record<string, AttrInput>; act?: string }>([
    { name: '3x3 same', x: [1, 8, 9, 11], w: [12, 8, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
    {
      name: '3x3 stride 2',
      x: [2, 5, 10, 9],
      w: [7, 5, 3, 3],
      attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    },
    { name: 'pointwise', x: [1, 16, 7, 7], w: [24, 16, 1, 1], attrs: {} },
    { name: 'groups', x: [1, 8, 6, 6], w: [8, 4, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] } },
    { name: 'depthwise', x: [1, 6, 7, 8], w: [6, 1, 3, 3], attrs: { group: 6, pads: [1, 1, 1, 1] } },
    { name: 'deep 1-D', x: [1, 96, 5], w: [9, 96, 3], attrs: { pads: [1, 1] } },
    { name: 'SiLU fused', x: [1, 8, 9, 9], w: [16, 8, 3, 3], attrs: { pads: [1, 1, 1, 1] }, act: 'silu' },
    {
      name: 'Relu fused, 5x5',
      x: [1, 3, 12, 12],
      w: [4, 3, 5, 5],
      attrs: { pads: [2, 2, 2, 2] },
      act: 'relu',
    },
  ])('Conv $name', async ({ x, w, attrs, act }) => {
    useIsa(isa);
    const k = (w[1] * w.slice(2).reduce((a, b) => a * b, 1)) as number;
    const inputs = [half(x, 1), half(w, 2), half([w[0]], 3)];
    const [type, domain, at] = act
      ? ['FusedConv', 'com.onnxstream', { ...attrs, activation: act }]
      : ['Conv', '', attrs];
    for (const prepare of [undefined, 'kept', 'streamed'] as const) {
      const [native, reference] = await both(type, domain, inputs, at, prepare);
      expect(worstHalf(native, reference, 4e-6 * k), `${prepare ?? 'plain'}`).toBeLessThanOrEqual(1);
    }
    // The bias (and a depthwise weight), read in float32, is converted once when prepared.
    const node = nodeOf(type, domain, 3, at);
    expect(nativeBackend.prepareWeight!(node, 2, inputs[2], false)?.type).toBe('float32');
    if (attrs.group === x[1])
      expect(nativeBackend.prepareWeight!(node, 1, inputs[1], false)?.type).toBe('float32');
  });

  it.each<{ name: string; x: number[]; w: number[]; attrs: Record<string, AttrInput> }>([
    { name: '2x2 stride 2', x: [1, 8, 5, 6], w: [8, 4, 2, 2], attrs: { strides: [2, 2] } },
    { name: '3x3 pads, groups', x: [2, 6, 4, 4], w: [6, 2, 3, 3], attrs: { pads: [1, 1, 1, 1], group: 2 } },
  ])('ConvTranspose $name', async ({ x, w, attrs }) => {
    useIsa(isa);
    const inputs = [half(x, 60), half(w, 61), half([w[1] * (attrs.group === 2 ? 2 : 1)], 62)];
    const k = (x[1] / (attrs.group === 2 ? 2 : 1)) * w[2] * w[3];
    const [native, reference] = await both('ConvTranspose', '', inputs, attrs);
    expect(worstHalf(native, reference, 4e-6 * k)).toBeLessThanOrEqual(1);
  });

  it.each([
    { a: [7, 13], b: [13, 5] },
    { a: [33, 300], b: [300, 65] },
    { a: [2, 3, 17, 40], b: [2, 3, 40, 19] },
    { a: [4, 9, 24], b: [24, 33] },
  ])('MatMul $a x $b', async ({ a, b }) => {
    useIsa(isa);
    const k = a[a.length - 1];
    const inputs = [half(a, 4), half(b, 5)];
    for (const prepare of b.length === 2 ? ([undefined, 'kept', 'streamed'] as const) : [undefined]) {
      const [native, reference] = await both('MatMul', '', inputs, {}, prepare);
      expect(worstHalf(native, reference, 4e-6 * k), `${prepare ?? 'plain'}`).toBeLessThanOrEqual(1);
    }
  });

  it.each<{ name: string; m: number; k: number; n: number; attrs: Record<string, AttrInput>; c?: number[] }>([
    { name: 'column bias', m: 9, k: 40, n: 21, attrs: {}, c: [21] },
    {
      name: 'transB, alpha, beta, full C',
      m: 17,
      k: 33,
      n: 12,
      attrs: { transB: 1, alpha: 0.5, beta: 0.25 },
      c: [17, 12],
    },
    { name: 'transA, no C', m: 5, k: 70, n: 40, attrs: { transA: 1 } },
  ])('Gemm $name', async ({ m, k, n, attrs, c }) => {
    useIsa(isa);
    const a = half(attrs.transA ? [k, m] : [m, k], 6);
    const b = half(attrs.transB ? [n, k] : [k, n], 7);
    const inputs = c ? [a, b, half(c, 8)] : [a, b];
    for (const prepare of [undefined, 'kept', 'streamed'] as const) {
      const [native, reference] = await both('Gemm', '', inputs, attrs, prepare);
      expect(worstHalf(native, reference, 4e-6 * k), `${prepare ?? 'plain'}`).toBeLessThanOrEqual(1);
    }
  });

  it.each<{ type: string; inputs: () => Tensor[]; attrs?: Record<string, AttrInput>; outputs?: number }>([
    { type: 'Transpose', inputs: () => [half([2, 3, 40, 33], 12)], attrs: { perm: [0, 2, 3, 1] } },
    { type: 'Transpose', inputs: () => [half([1, 8, 300, 40], 13)], attrs: { perm: [0, 2, 1, 3] } },
    { type: 'Transpose', inputs: () => [half([5, 7], 14)] },
    // 24 x 323 planes: 8 x 8 blocks and both tails.
    { type: 'Transpose', inputs: () => [half([1, 24, 17, 19], 27)], attrs: { perm: [0, 2, 3, 1] } },
    { type: 'Concat', inputs: () => [half([1, 3, 5, 5], 15), half([1, 6, 5, 5], 16)], attrs: { axis: 1 } },
    {
      type: 'Concat',
      inputs: () => [half([2, 3, 1], 17), half([2, 3, 2], 18), half([2, 3, 5], 19)],
      attrs: { axis: -1 },
    },
    { type: 'Split', inputs: () => [half([1, 12, 4, 4], 20), int64([4, 8])], attrs: { axis: 1 }, outputs: 2 },
    { type: 'Split', inputs: () => [half([3, 70000], 21)], attrs: { axis: 1, num_outputs: 2 }, outputs: 2 },
    {
      type: 'Slice',
      inputs: () => [half([2, 9, 13], 22), int64([1, -2]), int64([8, 0]), int64([1, 2]), int64([2, -3])],
    },
    {
      type: 'MaxPool',
      inputs: () => [half([1, 4, 13, 11], 23)],
      attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] },
    },
    {
      type: 'MaxPool',
      inputs: () => [half([2, 3, 9, 9], 24)],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    },
    { type: 'GlobalMaxPool', inputs: () => [half([2, 5, 7, 3], 25)] },
    {
      type: 'Resize',
      inputs: () => [
        half([1, 3, 5, 7], 26),
        new Tensor('float16', new Uint16Array(0), [0]),
        half4([1, 1, 2, 2]),
      ],
      attrs: { mode: 'nearest' },
    },
  ])('$type moves float16 values as they are', async ({ type, inputs, attrs, outputs }) => {
    useIsa(isa);
    const [natives, references] = await outputsOfBoth(
      type,
      '',
      inputs(),
      attrs ?? {},
      undefined,
      outputs ?? 1,
    );
    expect(natives.length).toBe(references.length);
    for (const [i, t] of natives.entries()) expectSameBits(t, references[i], `${type} output ${i}`);
  });

  // The float32 kernels' bounds against the reference (softmax, pool, resize and geglu tests).
  it.each<{
    type: string;
    domain?: string;
    inputs: () => Tensor[];
    attrs?: Record<string, AttrInput>;
    atol: number;
    rtol: number;
  }>([
    {
      type: 'Softmax',
      inputs: () => [half([3, 333], 30, -8, 8)],
      attrs: { axis: -1 },
      atol: 1e-6,
      rtol: 2e-5,
    },
    {
      type: 'Softmax',
      inputs: () => [half([1, 4, 16, 300], 31, -8, 8)],
      attrs: { axis: 2 },
      atol: 1e-6,
      rtol: 2e-5,
    },
    {
      type: 'LogSoftmax',
      inputs: () => [half([2, 77], 32, -8, 8)],
      attrs: { axis: 1 },
      atol: 1e-6,
      rtol: 2e-5,
    },
    {
      type: 'AveragePool',
      inputs: () => [half([1, 3, 10, 10], 33)],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 },
      atol: 1e-6,
      rtol: 1e-6,
    },
    { type: 'GlobalAveragePool', inputs: () => [half([1, 6, 20, 20], 34)], atol: 1e-6, rtol: 1e-5 },
    {
      type: 'Resize',
      inputs: () => [
        half([1, 2, 6, 5], 35),
        new Tensor('float16', new Uint16Array(0), [0]),
        half4([1, 1, 2, 3]),
      ],
      attrs: { mode: 'linear' },
      atol: 2e-6,
      rtol: 1e-5,
    },
    {
      type: 'Geglu',
      domain: 'com.onnxstream',
      inputs: () => [half([2, 7, 64], 36, -3, 3)],
      atol: 1e-5,
      rtol: 1e-5,
    },
  ])('$type $attrs', async ({ type, domain, inputs, attrs, atol, rtol }) => {
    useIsa(isa);
    const [native, reference] = await both(type, domain ?? '', inputs(), attrs ?? {});
    expect(worstHalf(native, reference, atol, rtol)).toBeLessThanOrEqual(1);
  });

  it.each<{ name: string; q: number[]; k: number[]; v: number[] }>([
    // OnnxStream's form: Q [n, rows, d], K^T [n, d, keys], V [n, keys, dv]; several key and row blocks.
    { name: 'SD self-attention', q: [2, 300, 40], k: [2, 40, 300], v: [2, 300, 40] },
    { name: 'cross-attention', q: [8, 77, 16], k: [8, 16, 77], v: [8, 77, 24] },
  ])('AttentionFusedOps $name', async ({ q, k, v }) => {
    useIsa(isa);
    const scale = new Tensor('float16', [toHalf(1 / Math.sqrt(q[2]))], []);
    const inputs = [half(q, 40, -2, 2), half(k, 41, -2, 2), scale, half(v, 42, -2, 2)];
    const [native, reference] = await both('AttentionFusedOps', '', inputs, {});
    // attention.test.ts's float32 bound.
    expect(worstHalf(native, reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
  });

  it('Attention (ONNX, 4-D, float16 additive mask, causal)', async () => {
    useIsa(isa);
    const inputs = [
      half([1, 4, 37, 16], 43),
      half([1, 2, 37, 16], 44),
      half([1, 2, 37, 16], 45),
      half([37, 37], 46),
    ];
    for (const is_causal of [0, 1]) {
      const [native, reference] = await both('Attention', '', inputs, { is_causal });
      expect(worstHalf(native, reference, 1e-4, 1e-5), `causal ${is_causal}`).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    { x: [2, 9, 40], w: [40, 2 * 24], out: false },
    { x: [1, 300, 32], w: [32, 2 * 48], out: true },
  ])('MatMulGeglu $x x $w, output layer $out', async ({ x, w, out }) => {
    useIsa(isa);
    const k = x[x.length - 1];
    const halfWidth = w[1] / 2;
    const inputs = [
      half(x, 50),
      half(w, 51),
      half([w[1]], 52),
      ...(out ? [half([halfWidth, 20], 53), half([20], 54)] : []),
    ];
    // The reference rounds each step of the unfused graph (projection, bias, gate, output layer) to
    // float16; the kernels compute them all in float32 and round once: against the reference in
    // float32 on the same values, rounded once, under the float32 kernels' bounds
    // (matmul-geglu.test.ts), and against the float16 reference under the 1e-2, relative
    // to each value and to the largest (the rounded projection's error sums into values near 0).
    const op = findOp('com.onnxstream', 'MatMulGeglu')!;
    const [exact] = await callTensorKernel(op, inputs.map(float32Of), {});
    const once = halfOf(exact);
    const atol = 2e-6 * (k + 1) * (out ? 2 * halfWidth : 1) + 2e-5;
    for (const prepare of [undefined, 'kept', 'streamed'] as const) {
      const [native, reference] = await both('MatMulGeglu', 'com.onnxstream', inputs, {}, prepare);
      const form = prepare ?? 'plain';
      expect(worstHalf(native, once, atol, 1e-5), form).toBeLessThanOrEqual(1);
      const largest = Math.max(...Array.from(reference.data as Uint16Array, (h) => Math.abs(fromHalf(h))));
      expect(worstHalf(native, reference, 1e-2 * largest, 1e-2), form).toBeLessThanOrEqual(1);
    }
  });
});
