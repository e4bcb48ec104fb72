import { type AttrInput, Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

const f32 = (v: number[]) => new Tensor('float32', Float32Array.from(v), [v.length]);
const i64 = (v: number[]) => new Tensor('int64', BigInt64Array.from(v.map(BigInt)), [v.length]);

const COORDS = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'tf_half_pixel_for_nn',
  'align_corners',
  'asymmetric',
];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

// [input dims, scales or undefined, sizes or undefined]
const SHAPES: [number[], number[] | undefined, number[] | undefined][] = [
  [[1, 3, 20, 20], [1, 1, 2, 2], undefined],
  [[2, 2, 7, 9], [1, 1, 1.7, 0.6], undefined],
  [[1, 2, 13, 31], undefined, [1, 2, 5, 64]],
  [[1, 1, 8, 1], [1, 1, 3, 5], undefined],
  [[3, 17, 19], undefined, [3, 17, 40]],
];

describe.each(isas)('resize kernels, %s', (isa) => {
  it.each(SHAPES)(
    'nearest Resize of %j (scales %j, sizes %j) matches the reference',
    async (dims, scales, sizes) => {
      useIsa(isa);
      const x = tensor(dims, 3);
      const inputs = [x, undefined, scales ? f32(scales) : undefined, sizes ? i64(sizes) : undefined];
      for (const coordinate_transformation_mode of COORDS) {
        for (const nearest_mode of NEAREST) {
          const attrs: Record<string, AttrInput> = {
            mode: 'nearest',
            coordinate_transformation_mode,
            nearest_mode,
          };
          const { native, reference } = await both('Resize', inputs, attrs);
          expect(native.ownsMemory).toBe(true);
          expect(native.dims).toEqual(reference.dims);
          expect(
            worst(native, reference, 0, 0),
            `${coordinate_transformation_mode} ${nearest_mode}`,
          ).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  it.each(SHAPES)(
    'linear Resize of %j (scales %j, sizes %j) matches the reference',
    async (dims, scales, sizes) => {
      useIsa(isa);
      const x = tensor(dims, 4);
      const inputs = [x, undefined, scales ? f32(scales) : undefined, sizes ? i64(sizes) : undefined];
      for (const coordinate_transformation_mode of COORDS) {
        const { native, reference } = await both('Resize', inputs, {
          mode: 'linear',
          coordinate_transformation_mode,
        });
        expect(native.ownsMemory).toBe(true);
        expect(native.dims).toEqual(reference.dims);
        expect(worst(native, reference, 1e-5, 2e-6), coordinate_transformation_mode).toBeLessThanOrEqual(1);
      }
    },
  );

  it('Resize with axes resizes the named axes', async () => {
    useIsa(isa);
    const x = tensor([2, 3, 6, 10], 8);
    const { native, reference } = await both('Resize', [x, undefined, f32([0.5, 3])], {
      axes: [2, -1],
      mode: 'linear',
    });
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 1e-5, 2e-6)).toBeLessThanOrEqual(1);
  });

  it('Resize-10 and Upsample use asymmetric coordinates and their own rounding', async () => {
    useIsa(isa);
    const x = tensor([1, 2, 9, 11], 6);
    for (const mode of ['nearest', 'linear']) {
      for (const s of [
        [1, 1, 2, 3],
        [1, 1, 0.5, 0.7],
      ]) {
        const r10 = await both('Resize', [x, f32(s)], { mode }, { opset: 10 });
        expect(worst(r10.native, r10.reference, 1e-5, 2e-6), `Resize-10 ${mode} ${s}`).toBeLessThanOrEqual(1);
        const up = await both('Upsample', [x, f32(s)], { mode }, { opset: 9 });
        expect(up.native.dims).toEqual(up.reference.dims);
        expect(worst(up.native, up.reference, 1e-5, 2e-6), `Upsample ${mode} ${s}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('leaves resizing of leading axes to the reference', async () => {
    useIsa(isa);
    const x = tensor([2, 3, 4, 5], 9);
    const { native, reference } = await both('Resize', [x, undefined, f32([1, 2, 1, 1])], {
      mode: 'nearest',
    });
    expect(native.ownsMemory).toBe(false);
    expect(worst(native, reference, 0, 0)).toBeLessThanOrEqual(1);
  });
});
