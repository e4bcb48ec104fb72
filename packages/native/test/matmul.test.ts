import { callTensorKernel, findOp, type Node, type Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

/** A MatMul node, for prepareWeight (which reads attributes from the node). */
const matmulNode = (): Node => ({
  name: 'MatMul',
  opType: 'MatMul',
  domain: '',
  inputs: ['a', 'b'],
  outputs: ['y'],
  attributes: new Map(),
});

/** Inputs in [-1, 1); the tolerance grows with the depth K of the dot products. */
const pair = (a: number[], b: number[], seed: number): [Tensor, Tensor] => [
  tensor(a, seed, -1, 1),
  tensor(b, seed + 1, -1, 1),
];
const atol = (k: number) => 2e-6 * k;

describe.each(isas)('MatMul kernels, %s', (isa) => {
  it.each([
    [
      [1, 1],
      [1, 1],
    ],
    [
      [7, 13],
      [13, 5],
    ],
    [
      [33, 17],
      [17, 65],
    ],
    [
      [100, 300],
      [300, 45],
    ],
    [
      [13, 600],
      [600, 70],
    ],
    [[5], [5, 9]],
    [[4, 6], [6]],
    [[8], [8]],
    [
      [3, 7, 9],
      [9, 11],
    ],
    [
      [2, 1, 7, 9],
      [3, 9, 4],
    ],
    [
      [5, 8],
      [2, 8, 3],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 5, 6],
    ],
    [
      [0, 4],
      [4, 3],
    ],
    [
      [3, 0],
      [0, 4],
    ],
  ])('%j x %j matches the reference', async (da, db) => {
    useIsa(isa);
    const [a, b] = pair(da, db, 3);
    const { native, reference } = await both('MatMul', [a, b]);
    expect(native.dims).toEqual(reference.dims);
    const k = da[da.length - 1];
    expect(worst(native, reference, 1e-4, atol(k))).toBeLessThanOrEqual(1);
  });

  it.each([
    [
      [9, 31],
      [31, 47],
    ],
    [
      [2, 3, 40],
      [40, 33],
    ],
    [
      [1, 257],
      [257, 129],
    ],
    [
      [300, 64],
      [64, 300],
    ],
  ])('%j x a prepared %j weight matches the reference', async (da, db) => {
    useIsa(isa);
    const [a, b] = pair(da, db, 5);
    const packed = nativeBackend.prepareWeight!(matmulNode(), 1, b)!;
    expect(nativeBackend.isPrepared!(packed)).toBe(true);
    // For a provider that does not keep it, a float32 weight stays as it is (the kernel packs per call).
    expect(nativeBackend.prepareWeight!(matmulNode(), 1, b, false)).toBeUndefined();
    const op = findOp('', 'MatMul')!;
    const [native] = await callTensorKernel(op, [a, packed], {}, { backend: nativeBackend });
    const [reference] = await callTensorKernel(op, [a, b]);
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 1e-4, atol(db[0]))).toBeLessThanOrEqual(1);
  });
});
