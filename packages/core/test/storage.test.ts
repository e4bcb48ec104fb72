import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';
import { percentileRange } from '../src/ops/fused/uint8-storage.js';

const DIMS = [1, 4, 64, 64];
const N = 4 * 64 * 64;

// y = a + mean over two copies of sigmoid(a), with a = relu(x) - 0.5: `a` waits for the Add while
// the largest tensor, the concatenation, is live.
const { model } = encodeOnnxModel({
  inputs: [{ name: 'x', type: 'float32', dims: DIMS }],
  outputs: [{ name: 'y', type: 'float32', dims: DIMS }],
  nodes: [
    { op: 'Relu', inputs: ['x'], outputs: ['r'] },
    { op: 'Sub', inputs: ['r', 'half'], outputs: ['a'] },
    { op: 'Sigmoid', inputs: ['a'], outputs: ['b'] },
    { op: 'Concat', inputs: ['b', 'b'], outputs: ['c'], attrs: { axis: { i: 1 } } },
    { op: 'ReduceMean', inputs: ['c'], outputs: ['d'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } },
    { op: 'Add', inputs: ['a', 'd'], outputs: ['y'] },
  ],
  initializers: { half: new Tensor('float32', [0.5], []) },
});

let seed = 5;
const x = new Tensor(
  'float32',
  Float32Array.from({ length: N }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32) * 8 - 2;
  }),
  DIMS,
);

async function expected(): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model);
  return (await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, DIMS) })).y.data as Float32Array;
}

async function ours(options: { fp16Storage?: boolean; uint8Storage?: boolean | string[] }) {
  const s = await InferenceSession.create(model, { backend: 'reference', ...options });
  const { y } = await s.run({ x });
  const plan = await s.plan(new Map([['x', x]]));
  return {
    y: y.data as Float32Array,
    ops: plan.steps.map((st) => st.node.opType),
    peak: s.lastRunStats!.peakTensorBytes,
  };
}

describe('compressed storage of held activations', () => {
  it('fp16Storage keeps `a` as float16 while it waits, computing in float32', async () => {
    const ref = await expected();
    const plain = await ours({});
    const half = await ours({ fp16Storage: true });
    expect(half.ops).toEqual(['Relu', 'Sub', 'Sigmoid', 'Cast', 'Concat', 'ReduceMean', 'Cast', 'Add']);
    // The peak is the Concat's: a, b and c (twice b's size); `a` takes 32 KiB there instead of 64.
    expect(plain.peak - half.peak).toBe((N * 4) / 2);
    // Only `a` was rounded to float16: |a| <= 5.5, its step there at most 2^-8, error <= 2^-9.
    for (let i = 0; i < N; i++) expect(Math.abs(half.y[i] - ref[i])).toBeLessThanOrEqual(2 ** -9 + 1e-6);
    expect(half.y.some((v, i) => v !== plain.y[i])).toBe(true);
  });

  it('uint8Storage (all, or by name) quantises `a` within half a step of its percentile range', async () => {
    const ref = await expected();
    const plain = await ours({});
    for (const uint8Storage of [true, ['a']]) {
      const q = await ours({ uint8Storage });
      expect(q.ops).toEqual([
        'Relu',
        'Sub',
        'Sigmoid',
        'StoreUint8',
        'Concat',
        'ReduceMean',
        'LoadUint8',
        'Add',
      ]);
      expect(plain.peak - q.peak).toBe((N * 4 * 3) / 4);
      // a = relu(x) - 0.5 lies in [-0.5, 5.5]; its 0.1 % tails are clipped, the rest is within half a step.
      const [low, high] = percentileRange(
        Float32Array.from(ref, (_, i) => Math.max(0, (x.data as Float32Array)[i]) - 0.5),
      );
      const step = (high - low) / 255;
      let beyond = 0;
      for (let i = 0; i < N; i++) if (Math.abs(q.y[i] - ref[i]) > step / 2 + 1e-5) beyond++;
      expect(beyond).toBeLessThanOrEqual(Math.floor(N * 0.002));
    }
    // A name that is not held (or does not exist) changes nothing.
    expect((await ours({ uint8Storage: ['c', 'nope'] })).ops).not.toContain('StoreUint8');
  });

  it('percentileRange clips 0.1 % at each end and keeps zero inside', () => {
    const v = Float32Array.from({ length: 10000 }, (_, i) => i + 1);
    const [low, high] = percentileRange(v);
    // 10 values are dropped at each end: the range is 11..9990 to one bin width (9999 / 4096).
    expect(low).toBe(0);
    expect(high).toBeGreaterThanOrEqual(9990);
    expect(high).toBeLessThanOrEqual(9990 + 9999 / 4096 + 1e-9);
    const [l2, h2] = percentileRange(Float32Array.from(v, (x) => -x));
    expect(h2).toBe(0);
    expect(l2).toBeLessThanOrEqual(-9990);
    expect(l2).toBeGreaterThanOrEqual(-9990 - 9999 / 4096 - 1e-9);
  });
});
