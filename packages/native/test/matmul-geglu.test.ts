import { callTensorKernel, findOp, fromHalf, type Node, Tensor, toHalf } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;
const op = findOp('com.onnxstream', 'MatMulGeglu')!;

const node = (bias: boolean, out = false, outBias = false): Node => ({
  name: 'MatMulGeglu',
  opType: 'MatMulGeglu',
  domain: 'com.onnxstream',
  inputs: [
    'x',
    'w',
    ...(bias || out ? [bias ? 'b' : ''] : []),
    ...(out ? ['w2'] : []),
    ...(outBias ? ['c'] : []),
  ],
  outputs: ['y'],
  attributes: new Map(),
});

const half = (w: Tensor): Tensor =>
  new Tensor('float16', Uint16Array.from(w.data as Float32Array, toHalf), w.dims);
/** A float16 weight's values in float32. */
const rounded = (w: Tensor): Tensor =>
  new Tensor(
    'float32',
    Float32Array.from(w.data as Float32Array, (v) => Math.fround(fromHalf(toHalf(v)))),
    w.dims,
  );

/** The weight as each provider hands it over: plain, packed once (kept), or float16 as stored. */
const forms = ['plain', 'packed', 'stored float16'] as const;

function weightAs(
  form: (typeof forms)[number],
  w: Tensor,
  bias: boolean,
  input = 1,
  at = node(bias),
): Tensor {
  if (form === 'plain') return w;
  if (form === 'packed') return nativeBackend.prepareWeight!(at, input, w, true)!;
  const stored = nativeBackend.prepareWeight!(at, input, half(w), false)!;
  expect(stored.type).toBe('float16');
  return stored;
}

describe.each(isas)('MatMulGeglu, %s', (isa) => {
  // [x dims, K, half width, bias]. 600 rows of 2 x 1024 are three blocks of the projection (the
  // kernel op's 2 MiB block is 256 rows of 2048), the last one short; odd widths exercise tails.
  it.each([
    [[1, 3], 3, 1, false],
    [[2, 5, 7], 7, 9, true],
    [[300, 40], 40, 34, true],
    [[600, 16], 16, 1024, true],
  ] as const)(
    '%j x [%i, 2 x %i], bias %s: the reference for each weight form',
    async (xDims, k, half, bias) => {
      useIsa(isa);
      try {
        const x = tensor([...xDims], 11 + k, -1, 1);
        const w = tensor([k, 2 * half], 12 + half, -1, 1);
        const b = bias ? tensor([2 * half], 13, -1, 1) : undefined;
        for (const form of forms) {
          // A float16 weight computes as its float16 values do.
          const exact = form === 'stored float16' ? rounded(w) : w;
          const inputs = b ? [x, weightAs(form, w, bias), b] : [x, weightAs(form, w, bias)];
          const [native] = await callTensorKernel(op, inputs, {}, { backend: nativeBackend });
          const [reference] = await callTensorKernel(op, b ? [x, exact, b] : [x, exact]);
          expect(native.dims).toEqual([...xDims.slice(0, -1), half]);
          // The GEMM's bound (matmul tests: 2e-6 per unit of depth), through GELU's slope (at most
          // 1.13) times |h| (at most k + 1), plus the Geglu kernel's own bound.
          const atol = 2e-6 * (k + 1) * 1.13 * (k + 1) + 1.5e-6 * (k + 1);
          expect(worst(native, reference, 1e-5, atol), form).toBeLessThanOrEqual(1);
        }
      } finally {
        useIsa(isas[isas.length - 1]);
      }
    },
  );

  // [x dims, K, half width, output width, output bias]: with the output layer (diffusers'
  // feed-forward), the gated activation of a block of rows at a time goes through it; 600 rows of
  // 2 x 1024 are three blocks, the last one short.
  it.each([
    [[2, 5, 7], 7, 9, 3, true],
    [[300, 40], 40, 34, 17, false],
    [[600, 16], 16, 1024, 5, true],
  ] as const)(
    '%j x [%i, 2 x %i] then [., %i], output bias %s: the reference for each weight form',
    async (xDims, k, half, width, outBias) => {
      useIsa(isa);
      try {
        const x = tensor([...xDims], 21 + k, -1, 1);
        const w = tensor([k, 2 * half], 22 + half, -1, 1);
        const b = tensor([2 * half], 23, -1, 1);
        const w2 = tensor([half, width], 24 + width, -1, 1);
        const c = outBias ? tensor([width], 25, -1, 1) : undefined;
        const at = node(true, true, outBias);
        const [gated] = await callTensorKernel(op, [x, w, b]);
        const gmax = (gated.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (const form of forms) {
          const exact = form === 'stored float16' ? [rounded(w), rounded(w2)] : [w, w2];
          const given = [weightAs(form, w, true, 1, at), weightAs(form, w2, true, 3, at)];
          const tail = (ws: Tensor[]) => (c ? [x, ws[0], b, ws[1], c] : [x, ws[0], b, ws[1]]);
          const [native] = await callTensorKernel(op, tail(given), {}, { backend: nativeBackend });
          const [reference] = await callTensorKernel(op, tail(exact));
          expect(native.dims).toEqual([...xDims.slice(0, -1), width]);
          // The gated values' bound (above) times |w2| (at most 1) over `half` terms, plus the second
          // GEMM's own bound on the gated values' magnitude.
          const gatedAtol = 2e-6 * (k + 1) * 1.13 * (k + 1) + 1.5e-6 * (k + 1);
          const atol = half * gatedAtol + 2e-6 * (half + 1) * gmax;
          expect(worst(native, reference, 1e-5, atol), form).toBeLessThanOrEqual(1);
        }
      } finally {
        useIsa(isas[isas.length - 1]);
      }
    },
  );

  it('rejects a bias that is not one value per projection column', async () => {
    const x = tensor([4, 3], 1);
    const w = tensor([3, 8], 2);
    await expect(
      callTensorKernel(op, [x, w, tensor([4], 3)], {}, { backend: nativeBackend }),
    ).rejects.toThrow(/bias must be 1-D of the weight's width 8/);
  });
});
