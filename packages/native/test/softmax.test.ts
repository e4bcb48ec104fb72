import { Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

describe.each(isas)('softmax kernels, %s', (isa) => {
  it.each([
    [[7], -1],
    [[3, 33], -1],
    [[5, 1000], 1],
    [[2, 3, 17], 1],
    [[2, 16, 4, 301], 1],
    [[1, 19, 300], 0],
    [[4, 1, 5], -2],
    // Short lines, by blocks of columns (UltraFace's scores: 4420 lines of 2).
    [[1, 4420, 2], -1],
    [[300, 7], 1],
    [[2, 513, 8], 2],
  ])('Softmax and LogSoftmax of %j along axis %i match the reference', async (dims, axis) => {
    useIsa(isa);
    const x = tensor(dims, dims.length + axis + 7, -20, 20);
    for (const op of ['Softmax', 'LogSoftmax']) {
      const { native, reference } = await both(op, [x], { axis });
      expect(native.ownsMemory).toBe(true);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 2e-5, 1e-6), `${op} ${dims}`).toBeLessThanOrEqual(1);
    }
  });

  it('coerces to 2-D at axis before opset 13', async () => {
    useIsa(isa);
    const x = tensor([2, 3, 5, 7], 3);
    for (const axis of [0, 1, 2, 3]) {
      const { native, reference } = await both('Softmax', [x], { axis }, { opset: 11 });
      expect(worst(native, reference, 2e-5, 1e-7), `axis ${axis}`).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [6, 40],
    [300, 3],
  ])(
    'gives zeros (-inf for log) on fully masked lines, in rows and in columns (%i x %i)',
    async (rows, cols) => {
      useIsa(isa);
      const ninf = Number.NEGATIVE_INFINITY;
      const v = Float32Array.from(tensor([rows, cols], 5).data as Float32Array);
      for (let j = 0; j < cols; j++) {
        v[cols + j] = ninf; // row 1 fully masked
        if (j % 3) v[5 * cols + j] = ninf; // row 5 partly masked
      }
      for (let i = 0; i < rows; i++) v[i * cols + 1] = ninf; // column 1 fully masked
      const x = new Tensor('float32', v, [rows, cols]);
      for (const axis of [0, 1]) {
        for (const op of ['Softmax', 'LogSoftmax']) {
          const { native, reference } = await both(op, [x], { axis });
          const n = native.data as Float32Array;
          const r = reference.data as Float32Array;
          for (let i = 0; i < r.length; i++) {
            if (!Number.isFinite(r[i])) expect(n[i], `${op} axis ${axis} at ${i}`).toBe(r[i]);
            else
              expect(Math.abs(n[i] - r[i]), `${op} axis ${axis} at ${i}`).toBeLessThanOrEqual(
                2e-5 * Math.abs(r[i]) + 1e-6,
              );
          }
        }
      }
    },
  );
});
