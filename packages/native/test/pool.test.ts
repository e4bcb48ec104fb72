import type { AttrInput } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

type Case = [number[], Record<string, AttrInput>];

const CASES: Case[] = [
  [[1, 8, 20, 20], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }],
  [[2, 3, 17, 33], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[1, 2, 19, 37], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
  [[1, 2, 15, 40], { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 0, 2, 2], ceil_mode: 1 }],
  [[1, 3, 9, 45], { kernel_shape: [3, 4], pads: [1, 2, 1, 2] }],
  [[1, 2, 12, 12], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER', strides: [3, 3] }],
  [[1, 2, 12, 13], { kernel_shape: [3, 2], auto_pad: 'SAME_LOWER' }],
  [[1, 2, 11, 11], { kernel_shape: [3, 3], auto_pad: 'VALID', strides: [2, 2] }],
  [[2, 4, 50], { kernel_shape: [3], pads: [1, 1] }],
  [[1, 3, 7, 7], { kernel_shape: [7, 7] }],
];

describe.each(isas)('pooling kernels, %s', (isa) => {
  it.each(CASES)('MaxPool and AveragePool of %j with %j match the reference', async (dims, attrs) => {
    useIsa(isa);
    const x = tensor(dims, dims[2] + dims[1]);
    const max = await both('MaxPool', [x], attrs);
    expect(max.native.ownsMemory).toBe(true);
    expect(max.native.dims).toEqual(max.reference.dims);
    expect(worst(max.native, max.reference, 0, 0)).toBeLessThanOrEqual(1);
    for (const count_include_pad of [0, 1]) {
      const avg = await both('AveragePool', [x], { ...attrs, count_include_pad });
      expect(avg.native.dims).toEqual(avg.reference.dims);
      expect(
        worst(avg.native, avg.reference, 1e-5, 1e-6),
        `include pad ${count_include_pad}`,
      ).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [{ kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }],
    [{ kernel_shape: [2, 3], dilations: [3, 2], strides: [2, 1], ceil_mode: 1 }],
    [{ kernel_shape: [3], dilations: [2] }],
  ])('dilated MaxPool with %j matches the reference', async (attrs) => {
    useIsa(isa);
    const dims = attrs.kernel_shape.length === 1 ? [2, 3, 41] : [1, 3, 21, 38];
    const x = tensor(dims, 77);
    const { native, reference } = await both('MaxPool', [x], attrs);
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 0, 0)).toBeLessThanOrEqual(1);
  });

  it.each([[[1, 16, 7, 7]], [[2, 3, 33, 17]], [[1, 5, 1000]], [[2, 2, 3, 4, 5]]])(
    'GlobalAveragePool and GlobalMaxPool of %j match the reference',
    async (dims) => {
      useIsa(isa);
      const x = tensor(dims, 5);
      for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
        const { native, reference } = await both(op, [x]);
        expect(native.ownsMemory).toBe(true);
        expect(native.dims).toEqual(reference.dims);
        expect(worst(native, reference, 1e-5, 1e-6), op).toBeLessThanOrEqual(1);
      }
    },
  );
});
