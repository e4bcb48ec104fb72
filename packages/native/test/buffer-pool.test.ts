import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { describe, expect, it } from 'vitest';
import { nativeInfo, setBufferCache } from '../src/index.js';
import { both, tensor } from './helpers.js';

const N = 1 << 16;

/** y = x - Relu(x) over x [n], unfused: exact, and each step makes a native output of one size. */
const modelOf = (n: number) =>
  encodeOnnxModel({
    inputs: [{ name: 'x', type: 'float32', dims: [n] }],
    outputs: [{ name: 'y', type: 'float32' }],
    nodes: [
      { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['s'] },
      { op: 'Neg', name: 'neg', inputs: ['s'], outputs: ['n'] },
      { op: 'Add', name: 'add', inputs: ['n', 'x'], outputs: ['y'] },
    ],
  }).model;
const model = modelOf(N);

const expected = (x: Float32Array) => Float32Array.from(x, (v) => Math.min(v, 0));

describe('buffers of disposed native tensors are reused', () => {
  it('for the next tensor of their size, counted as cached rather than in use', async () => {
    const a = (await both('Relu', [tensor([N], 1)])).native;
    const buffer = (a.data as Float32Array).buffer;
    const held = nativeInfo();
    a.dispose();
    const freed = nativeInfo();
    expect(held.bytesInUse - freed.bytesInUse).toBe(N * 4);
    expect(freed.bytesCached - held.bytesCached).toBe(N * 4);
    const b = (await both('Relu', [tensor([N], 2)])).native;
    expect((b.data as Float32Array).buffer).toBe(buffer);
    expect(nativeInfo().bytesCached).toBe(held.bytesCached);
    b.dispose();
  });

  it('never for a tensor still alive: outputs kept across runs keep their values', async () => {
    const s = await InferenceSession.create(model, { backend: 'native', fuseOperators: false });
    const inputs = [tensor([N], 3), tensor([N], 4), tensor([N], 5)];
    const outputs: Tensor[] = [];
    for (const x of inputs) outputs.push((await s.run({ x })).y);
    const buffers = outputs.map((y) => (y.data as Float32Array).buffer);
    expect(new Set(buffers).size).toBe(outputs.length);
    outputs.forEach((y, k) => {
      expect(Array.from(y.data as Float32Array)).toEqual(
        Array.from(expected(inputs[k].data as Float32Array)),
      );
    });
    // Disposed outputs lend their buffers to the next run's values, which come out right.
    for (const y of outputs) y.dispose();
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: N }, (_, i) => (i % 13) - 6),
      [N],
    );
    const y = (await s.run({ x })).y;
    expect(buffers).toContain((y.data as Float32Array).buffer);
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected(x.data as Float32Array)));
    y.dispose();
  });

  it('up to 1 MiB: a larger one is freed (detached) at once', async () => {
    const a = (await both('Relu', [tensor([1 << 19], 7)])).native;
    const view = a.data as Float32Array;
    a.dispose();
    expect(view.byteLength).toBe(0);
  });

  it('within the block cache budget: none with setBufferCache(0)', async () => {
    try {
      setBufferCache(0);
      const a = (await both('Relu', [tensor([N], 6)])).native;
      const view = a.data as Float32Array;
      const before = nativeInfo().bytesInUse;
      a.dispose();
      expect(view.byteLength).toBe(0);
      expect(nativeInfo().bytesCached).toBe(0);
      expect(before - nativeInfo().bytesInUse).toBe(N * 4);
    } finally {
      setBufferCache(64 << 20);
    }
  });

  it('until a session is released: then every cached block goes back (the next model needs others)', async () => {
    const run = async (n: number) => {
      const s = await InferenceSession.create(modelOf(n), { backend: 'native', fuseOperators: false });
      const x = tensor([n], 8);
      const y = (await s.run({ x })).y;
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected(x.data as Float32Array)));
      y.dispose();
      return s;
    };
    // Parked buffers (256 KiB tensors) and freed blocks (2 MiB ones) both count as cached.
    const small = await run(N);
    const large = await run(1 << 19);
    const inUse = nativeInfo().bytesInUse;
    expect(nativeInfo().bytesCached).toBeGreaterThanOrEqual(N * 4 + (1 << 21));
    await small.release();
    expect(nativeInfo().bytesCached).toBe(0);
    expect(nativeInfo().bytesInUse).toBe(inUse);
    await large.release();
    // Later sessions allocate afresh and still compute right.
    await (await run(N)).release();
    expect(nativeInfo().bytesCached).toBe(0);
  });
});
