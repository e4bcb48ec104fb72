/**
 * fp16 arithmetic: Conv/FusedConv, MatMul, Gemm, the normalisations and the elementwise operators over float16 tensors
 * on the native kernels, which convert as they pack, read and store and compute in float32 (on x86;
 * ARM64 with FP16 arithmetic runs the float16 GEMM for MatMul/Gemm, checked by the C++ kernel
 * tests). Against the reference kernels on the same float16 inputs: products sum in float32 and
 * round once to float16 in both, in different orders, so a result may land one float16 step away
 * (rtol 2^-10) where the float32 sums straddle a rounding boundary, plus the float32 sums' own
 * difference near zero (atol). Elementwise results round the same float32 value (the activations
 * within a few float32 ulps of the reference's): one step at most.
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

const nodeOf = (opType: string, domain: string, inputs: number, attrs: Record<string, AttrInput>): Node => ({
  name: opType,
  opType,
  domain,
  inputs: ['x', 'w', 'b', 'mean', 'var'].slice(0, inputs),
  outputs: ['y'],
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
 * Runs `type` on float16 inputs natively (the weight, input 1, prepared as a kept or streamed weight
 * when `prepare` says) and on the reference kernel.
 */
async function both(
  type: string,
  domain: string,
  inputs: Tensor[],
  attrs: Record<string, AttrInput>,
  prepare?: 'kept' | 'streamed',
): Promise<[Tensor, Tensor]> {
  const node = nodeOf(type, domain, inputs.length, attrs);
  expect(
    nativeBackend.supports(
      node,
      inputs.map((t) => t.type),
      21,
    ),
  ).toBe(true);
  const given = [...inputs];
  if (prepare) given[1] = nativeBackend.prepareWeight!(node, 1, inputs[1], prepare === 'kept') ?? inputs[1];
  const op = findOp(domain, type)!;
  const [native] = await callTensorKernel(op, given, attrs, { backend: nativeBackend });
  const [reference] = await callTensorKernel(op, inputs, attrs);
  return [native, reference];
}

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
});
