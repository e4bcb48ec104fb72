import { Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

const i64 = (v: number[]) => new Tensor('int64', BigInt64Array.from(v.map(BigInt)), [v.length]);

/** Every permutation of [0, n). */
function perms(n: number): number[][] {
  if (n === 1) return [[0]];
  return perms(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

describe.each(isas)('data movement kernels, %s', (isa) => {
  it.each([[[37, 53]], [[8, 8]], [[1, 64, 40, 40]], [[2, 3, 5, 7]], [[3, 1, 9, 17]], [[2, 33, 1, 65]]])(
    'Transpose of %j matches the reference for every perm',
    async (dims) => {
      useIsa(isa);
      const x = tensor(dims, dims.length);
      for (const perm of perms(dims.length)) {
        const { native, reference } = await both('Transpose', [x], { perm });
        expect(native.ownsMemory).toBe(true);
        expect(native.dims).toEqual(reference.dims);
        expect(worst(native, reference, 0, 0), `perm ${perm}`).toBeLessThanOrEqual(1);
      }
    },
  );

  it('Transpose of 5-D tensors and without perm (reversal) matches the reference', async () => {
    useIsa(isa);
    const x = tensor([2, 3, 4, 5, 6], 1);
    for (const perm of [[0, 2, 4, 1, 3], [4, 3, 2, 1, 0], [1, 0, 2, 4, 3], undefined]) {
      const { native, reference } = await both('Transpose', [x], perm ? { perm } : {});
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 0, 0), `perm ${perm}`).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [
      [
        [1, 4420, 2],
        [1, 4420, 2],
      ],
      2,
    ],
    [
      [
        [1, 16, 160, 160],
        [1, 16, 160, 160],
        [1, 16, 160, 160],
      ],
      1,
    ],
    [
      [
        [2, 3, 5],
        [2, 1, 5],
        [2, 7, 5],
      ],
      1,
    ],
    [
      [
        [2, 3, 5],
        [2, 3, 1],
        [2, 3, 9],
      ],
      -1,
    ],
    [
      [
        [2, 3000, 2],
        [2, 3000, 3],
        [2, 3000, 12],
      ],
      2,
    ],
    [
      [
        [4, 3],
        [1, 3],
      ],
      0,
    ],
    [[[7], [], [2]], 0],
    [
      [
        [2, 0, 3],
        [2, 4, 3],
      ],
      1,
    ],
  ])('Concat of %j along %i matches the reference', async (shapes, axis) => {
    useIsa(isa);
    const xs = shapes.map((d, i) => tensor(d, i + 1));
    const { native, reference } = await both('Concat', xs, { axis });
    expect(native.ownsMemory).toBe(true);
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 0, 0)).toBeLessThanOrEqual(1);
  });

  it.each([
    [[1, 32, 160, 160], 1, [16, 16]],
    [[2, 9, 5], 1, [2, 3, 4]],
    [[2, 9, 5], -1, [1, 4]],
    [[3, 2000, 7], 2, [2, 5]],
    [[6, 4], 0, [6, 0]],
  ])('Split of %j along %i into %j matches the reference', async (dims, axis, sizes) => {
    useIsa(isa);
    const x = tensor(dims, 2);
    const { findOp, callTensorKernel } = await import('@onnxstream/core');
    const { nativeBackend } = await import('../src/index.js');
    const op = findOp('', 'Split')!;
    const opts = { outputCount: sizes.length };
    const n = await callTensorKernel(op, [x, i64(sizes)], { axis }, { ...opts, backend: nativeBackend });
    const r = await callTensorKernel(op, [x, i64(sizes)], { axis }, opts);
    expect(n.length).toBe(sizes.length);
    const outer = dims.slice(0, axis < 0 ? axis + dims.length : axis).reduce((a, b) => a * b, 1);
    for (let i = 0; i < sizes.length; i++) {
      // Contiguous runs of x (nothing but ones before the axis) are views of it; other parts are
      // copied into native memory. Empty tensors hold no memory to own.
      if (outer === 1) expect(n[i].size === 0 || n[i].memoryKey === x.memoryKey).toBe(true);
      else expect(n[i].ownsMemory).toBe(n[i].size > 0);
      expect(n[i].dims).toEqual(r[i].dims);
      expect(worst(n[i], r[i], 0, 0)).toBeLessThanOrEqual(1);
    }
    // Equal parts from num_outputs (opset 18), the last one smaller.
    const eq = await callTensorKernel(
      op,
      [x],
      { axis, num_outputs: 2 },
      { outputCount: 2, backend: nativeBackend },
    );
    const eqr = await callTensorKernel(op, [x], { axis, num_outputs: 2 }, { outputCount: 2 });
    for (let i = 0; i < 2; i++) expect(worst(eq[i], eqr[i], 0, 0)).toBeLessThanOrEqual(1);
  });

  it.each([
    [
      [20, 10, 5],
      [0, 0],
      [3, 10],
      [0, 1],
      [1, 1],
    ],
    [
      [20, 10, 5],
      [1, 2, 1],
      [1000, 9, 4],
      [0, 1, 2],
      [3, 2, 1],
    ],
    [
      [20, 10, 5],
      [-1, -2],
      [-1000, 0],
      [0, 2],
      [-3, -1],
    ],
    [[1, 144, 8400], [0], [64], [1], [1]],
    [[1, 144, 8400], [64], [1000000], [-2], [1]],
    [
      [7, 9],
      [5, 8],
      [1, 0],
      [0, 1],
      [-2, -3],
    ],
    [[7, 9], [3], [3], [1], [1]],
    [[1, 4420, 4], [2], [4], [2], [1]],
    // Rows of 2 in runs of 3000 along axis 1, tasks starting inside runs.
    [[6, 3000, 4], [1], [3], [2], [1]],
    [
      [6, 3000, 11],
      [1, 0],
      [10, 3000],
      [2, 1],
      [1, 2],
    ],
    [
      [3, 300, 4],
      [1, 0],
      [3, 4],
      [0, 2],
      [1, -1],
    ],
  ])(
    'Slice of %j (starts %j, ends %j, axes %j, steps %j) matches the reference',
    async (dims, starts, ends, axes, steps) => {
      useIsa(isa);
      const x = tensor(dims, 3);
      const { native, reference } = await both('Slice', [x, i64(starts), i64(ends), i64(axes), i64(steps)]);
      expect(native.ownsMemory).toBe(native.size > 0);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 0, 0)).toBeLessThanOrEqual(1);
    },
  );

  it('Slice without axes and steps, and opset 1 attributes, match the reference', async () => {
    useIsa(isa);
    const x = tensor([6, 7, 8], 4);
    const a = await both('Slice', [x, i64([1, 2]), i64([5, -1])]);
    expect(worst(a.native, a.reference, 0, 0)).toBeLessThanOrEqual(1);
    const b = await both('Slice', [x], { starts: [2, 1], ends: [4, 7], axes: [2, 0] }, { opset: 1 });
    expect(worst(b.native, b.reference, 0, 0)).toBeLessThanOrEqual(1);
  });
});

describe('data movement entry points', () => {
  it('reject bad permutations, short buffers and slices that leave the input', async () => {
    const { binding } = await import('../src/binding.js');
    const b = binding();
    const id = (k: string) => b.info().kernels.indexOf(k);
    const x = new Float32Array(12);
    const y = new Float32Array(12);
    const run = (k: string, bufs: ArrayBufferView[], p: number[]) => () =>
      b.runSync(id(k), bufs, Float64Array.from(p));
    expect(run('transpose_f32', [x, y], [2, 3, 4, 0, 0])).toThrow('transpose_f32: perm is not a permutation');
    expect(run('transpose_f32', [x, new Float32Array(11)], [2, 3, 4, 1, 0])).toThrow(
      'transpose_f32: buffer 1 holds 44 bytes, 48 needed',
    );
    expect(run('slice_f32', [x, y], [2, 3, 4, 2, 0, 1, 1, 2, 4])).toThrow(
      'slice_f32: slice of axis 0 leaves the input',
    );
    expect(run('slice_f32', [x, y], [2, 3, 4, 1, 3, -1, -1, 3, 1])).toThrow(
      'slice_f32: slice of axis 0 leaves the input',
    );
    expect(run('concat_f32', [y, x], [1, 2, 6, 6])).toThrow('concat_f32: expects 3 buffers, got 2');
    expect(run('split_f32', [x, y, new Float32Array(5)], [1, 2, 6, 6])).toThrow(
      'split_f32: buffer 2 holds 20 bytes, 24 needed',
    );
  });
});
