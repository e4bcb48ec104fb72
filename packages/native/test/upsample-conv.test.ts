import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { closeness } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';

/** x (1, C, H, W) -> Resize nearest 2x (asymmetric; floor, or round_prefer_floor with sizes) -> Conv 3x3 (groups) -> SiLU -> y. */
function upsampleConv(c: number, h: number, w: number, m: number, group: number, resize: 'scales' | 'sizes') {
  let seed = c * 131 + h * 17 + w;
  const rand = (n: number) =>
    Float32Array.from({ length: n }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed / 2 ** 32) * 2 - 1;
    });
  const { model } = encodeOnnxModel({
    inputs: [{ name: 'x', type: 'float32', dims: [1, c, h, w] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: {
      roi: new Tensor('float32', new Float32Array(0), [0]),
      scales: new Tensor('float32', Float32Array.of(1, 1, 2, 2), [4]),
      sizes: new Tensor('int64', BigInt64Array.of(1n, BigInt(c), BigInt(2 * h), BigInt(2 * w)), [4]),
      w: new Tensor('float32', rand((m * c * 9) / group), [m, c / group, 3, 3]),
      b: new Tensor('float32', rand(m), [m]),
    },
    nodes: [
      {
        op: 'Resize',
        name: 'up',
        inputs: resize === 'scales' ? ['x', 'roi', 'scales'] : ['x', 'roi', '', 'sizes'],
        outputs: ['u'],
        attrs: {
          mode: { s: 'nearest' },
          coordinate_transformation_mode: { s: 'asymmetric' },
          // The same pixels at scale 2: half-way source coordinates round down.
          nearest_mode: { s: resize === 'sizes' ? 'round_prefer_floor' : 'floor' },
        },
      },
      {
        op: 'Conv',
        name: 'conv',
        inputs: ['u', 'w', 'b'],
        outputs: ['v'],
        attrs: { pads: { ints: [1, 1, 1, 1] }, group: { i: group } },
      },
      { op: 'Sigmoid', name: 'sig', inputs: ['v'], outputs: ['s'] },
      { op: 'Mul', name: 'mul', inputs: ['v', 's'], outputs: ['y'] },
    ],
  });
  return { model, x: new Tensor('float32', rand(c * h * w), [1, c, h, w]) };
}

describe('a convolution reads a nearest 2x Resize through the upsampling', () => {
  for (const [c, h, w, m, group, resize] of [
    [8, 6, 5, 16, 1, 'scales'],
    [3, 9, 11, 5, 1, 'sizes'],
    [32, 16, 16, 24, 1, 'scales'],
    [8, 7, 4, 8, 8, 'scales'],
  ] as const) {
    it(`C=${c} ${h}x${w} -> M=${m}, group ${group} (${resize})`, async () => {
      const { model, x } = upsampleConv(c, h, w, m, group, resize);
      const plain = await InferenceSession.create(model, { backend: 'reference', fuseOperators: false });
      const expected = (await plain.run({ x })).y;
      const native = await InferenceSession.create(model, { backend: 'native' });
      const plan = await native.plan(new Map([['x', x]]));
      expect(
        plan.steps.map((s) => `${s.node.opType}:${s.node.attributes.get('upsample')?.value ?? ''}`),
      ).toEqual(['FusedConv:2']);
      const y = (await native.run({ x })).y;
      expect(y.dims).toEqual([1, m, 2 * h, 2 * w]);
      expect(closeness(y.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-5)).toBeUndefined();
      // The reference backend runs the fused operator too (upsampling, then Conv).
      const fusedRef = await InferenceSession.create(model, { backend: 'reference' });
      const r = (await fusedRef.run({ x })).y;
      expect(closeness(r.data as Float32Array, expected.data as Float32Array, 1e-6, 1e-6)).toBeUndefined();
      // No upsampled copy: the peak is x, y and the step's weights.
      const weights = plan.steps[0].weights.reduce((sum, ref) => sum + ref.byteLength, 0);
      expect(native.lastRunStats!.peakTensorBytes).toBe((c * h * w + m * 4 * h * w) * 4 + weights);
    });
  }
});
