import { type AttrInput, callTensorKernel, findOp, type Node, type Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

interface Case {
  m: number;
  k: number;
  n: number;
  transA?: number;
  transB?: number;
  alpha?: number;
  beta?: number;
  c?: number[];
}

const cases: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 7, k: 19, n: 33 },
  { m: 25, k: 300, n: 17, transB: 1, c: [17] },
  { m: 13, k: 8, n: 40, transA: 1, alpha: 0.5, beta: 2, c: [13, 40] },
  { m: 6, k: 30, n: 10, transA: 1, transB: 1, c: [6, 1], beta: -1 },
  { m: 9, k: 5, n: 12, c: [1, 12], beta: 0.25 },
  { m: 4, k: 4, n: 4, c: [], alpha: 2 },
  { m: 40, k: 64, n: 70, transB: 1, c: [70] },
  { m: 3, k: 0, n: 5, c: [5] },
];

function inputs(c: Case, seed: number): { given: Tensor[]; attrs: Record<string, AttrInput> } {
  const a = tensor(c.transA ? [c.k, c.m] : [c.m, c.k], seed, -1, 1);
  const b = tensor(c.transB ? [c.n, c.k] : [c.k, c.n], seed + 1, -1, 1);
  const given = c.c ? [a, b, tensor(c.c, seed + 2, -1, 1)] : [a, b];
  const attrs: Record<string, AttrInput> = {};
  for (const key of ['transA', 'transB', 'alpha', 'beta'] as const) {
    const v = c[key];
    if (v !== undefined) attrs[key] = key.startsWith('trans') ? v : { type: 'float', value: v };
  }
  return { given, attrs };
}

describe.each(isas)('Gemm kernels, %s', (isa) => {
  it.each(cases)(
    'Gemm $m x $k x $n (transA $transA, transB $transB, C $c) matches the reference',
    async (c) => {
      useIsa(isa);
      const { given, attrs } = inputs(c, 7);
      const { native, reference } = await both('Gemm', given, attrs);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 1e-4, 4e-6 * Math.max(1, c.k))).toBeLessThanOrEqual(1);
    },
  );

  it.each(cases.filter((c) => c.k > 0))(
    'Gemm $m x $k x $n with a prepared B matches the reference',
    async (c) => {
      useIsa(isa);
      const { given, attrs } = inputs(c, 9);
      const node: Node = {
        name: 'Gemm',
        opType: 'Gemm',
        domain: '',
        inputs: ['a', 'b', 'c'],
        outputs: ['y'],
        attributes: new Map([['transB', { type: 'int', value: c.transB ?? 0 }]]),
      };
      const packed = nativeBackend.prepareWeight!(node, 1, given[1])!;
      const op = findOp('', 'Gemm')!;
      const [native] = await callTensorKernel(op, [given[0], packed, ...given.slice(2)], attrs, {
        backend: nativeBackend,
      });
      const [reference] = await callTensorKernel(op, given, attrs);
      expect(worst(native, reference, 1e-4, 4e-6 * c.k)).toBeLessThanOrEqual(1);
    },
  );
});
