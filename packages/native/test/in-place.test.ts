import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { closeness } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { nativeInfo, resetNativePeak } from '../src/index.js';

const N = 1 << 18; // 1 MiB of float32 per value

/** x -> Sigmoid -> Tanh -> Add(x) -> Neg -> Mul(x) -> y: elementwise all the way, x read twice more. */
const { model } = encodeOnnxModel({
  inputs: [{ name: 'x', type: 'float32', dims: [N] }],
  outputs: [{ name: 'y', type: 'float32' }],
  nodes: [
    { op: 'Sigmoid', name: 'sigmoid', inputs: ['x'], outputs: ['s'] },
    { op: 'Tanh', name: 'tanh', inputs: ['s'], outputs: ['t'] },
    { op: 'Add', name: 'add', inputs: ['x', 't'], outputs: ['a'] },
    { op: 'Neg', name: 'neg', inputs: ['a'], outputs: ['n'] },
    { op: 'Mul', name: 'mul', inputs: ['n', 'x'], outputs: ['y'] },
  ],
});

describe('elementwise kernels write into inputs that die with them', () => {
  it('a chain holds one buffer, leaves the feed alone and matches the reference', async () => {
    const data = Float32Array.from({ length: N }, (_, i) => ((i % 101) - 50) / 10);
    const x = new Tensor('float32', data.slice(), [N]);
    const reference = await InferenceSession.create(model, { backend: 'reference' });
    const expected = (await reference.run({ x })).y.data as Float32Array;
    const s = await InferenceSession.create(model, { backend: 'native', fuseOperators: false });
    await s.run({ x });
    const before = nativeInfo().bytesInUse;
    resetNativePeak();
    const y = (await s.run({ x })).y;
    // Sigmoid cannot overwrite the caller's x, so it allocates one buffer (rounded up to its size
    // class); every later step writes in place. Out of place, two would be live at each step.
    const peak = nativeInfo().bytesPeak - before;
    expect(peak).toBeGreaterThanOrEqual(N * 4);
    expect(peak).toBeLessThan(2 * N * 4);
    expect(Array.from(x.data as Float32Array)).toEqual(Array.from(data));
    // Sigmoid and Tanh within a few ulp of float64's (kernel tests), the sums and products exact.
    expect(closeness(y.data as Float32Array, expected, 4e-6, 1e-6)).toBeUndefined();
  });
});

describe('normalisations write into an input that dies with them', () => {
  // x -> Neg -> Reshape (1, 8, L) -> InstanceNormalization -> LayerNormalization (last axis) -> y:
  // the GroupNorm of SD exports (the norm reads a view of a dying value), then a row norm.
  const C = 8;
  const L = N / C;
  const { model: norms } = encodeOnnxModel({
    inputs: [{ name: 'x', type: 'float32', dims: [1, C, L] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: {
      gamma: new Tensor(
        'float32',
        Float32Array.from({ length: C }, (_, i) => 1 + i / 8),
        [C],
      ),
      beta: new Tensor(
        'float32',
        Float32Array.from({ length: C }, (_, i) => i / 4 - 1),
        [C],
      ),
      shape: new Tensor('int64', BigInt64Array.from([1n, BigInt(C), BigInt(L)]), [3]),
      lscale: new Tensor(
        'float32',
        Float32Array.from({ length: L }, (_, i) => 1 + (i % 7) / 7),
        [L],
      ),
      lbias: new Tensor(
        'float32',
        Float32Array.from({ length: L }, (_, i) => (i % 5) / 5),
        [L],
      ),
    },
    nodes: [
      { op: 'Neg', name: 'neg', inputs: ['x'], outputs: ['n'] },
      { op: 'Reshape', name: 'r1', inputs: ['n', 'shape'], outputs: ['v'] },
      { op: 'InstanceNormalization', name: 'in', inputs: ['v', 'gamma', 'beta'], outputs: ['i'] },
      { op: 'LayerNormalization', name: 'ln', inputs: ['i', 'lscale', 'lbias'], outputs: ['y'] },
    ],
  });

  it('one buffer for the chain, results as the reference', async () => {
    const data = Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 13));
    const x = new Tensor('float32', data, [1, C, L]);
    const reference = await InferenceSession.create(norms, { backend: 'reference' });
    const expected = (await reference.run({ x })).y.data as Float32Array;
    const s = await InferenceSession.create(norms, { backend: 'native' });
    await s.run({ x });
    const before = nativeInfo().bytesInUse;
    resetNativePeak();
    const y = (await s.run({ x })).y;
    const peak = nativeInfo().bytesPeak - before;
    expect(peak).toBeGreaterThanOrEqual(N * 4);
    expect(peak).toBeLessThan(2 * N * 4);
    expect(closeness(y.data as Float32Array, expected, 1e-5, 1e-5)).toBeUndefined();
  });
});
