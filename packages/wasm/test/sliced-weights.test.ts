/**
 * Sliced weights on the wasm backend: a linear layer's weight larger than twice `weightSliceBytes`
 * passes through the heap a block of rows at a time, so the heap's high-water mark follows the
 * block, not the weight (wasm memory never shrinks: a weight staged whole is heap kept for good).
 */
import { InferenceSession, MemoryFiles, Tensor } from '@onnxstream/core';
import { closeness } from '@onnxstream/core/testing';
import { expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { random } from './helpers.js';

const MiB = 2 ** 20;

it('a 32 MiB MatMul weight read in 4 MiB blocks of K: the reference values, the heap never holds it whole', async () => {
  const [k, n] = [4096, 2048];
  const text = `mm:MatMul*input:x(3,${k});w.bin(float32:${k},${n})*output:y(3,${n})\n`;
  const files: [string, Uint8Array][] = [
    ['model.txt', new TextEncoder().encode(text)],
    ['w.bin', new Uint8Array(random(k * n, 7, -0.03, 0.03).buffer)],
  ];
  const model = () => ({ files: new MemoryFiles(files), entry: 'model.txt' });
  const x = new Tensor('float32', random(3 * k, 8, -1, 1), [3, k]);
  const reference = await InferenceSession.create(model(), { backend: 'reference' });
  const want = (await reference.run({ x })).y.data as Float32Array;
  const heaps: number[] = [];
  for (const weightSliceBytes of [4 * MiB, 0]) {
    // A backend (and heap) of its own for each, so the high-water marks do not mix.
    const backend = createWasmBackend({ variant: 'simd' });
    const session = await InferenceSession.create(model(), { backend, weightSliceBytes });
    const plan = await session.plan(new Map([['x', x]]));
    expect(plan.steps[0].slices, `weightSliceBytes ${weightSliceBytes}`).toEqual(
      weightSliceBytes ? expect.objectContaining({ input: 1, rows: 512 }) : undefined,
    );
    const y = (await session.run({ x })).y;
    // A sum over K in 8 blocks differs from one sum by rounding only.
    expect(closeness(y.data as Float32Array, want, 1e-4, 1e-5)).toBeUndefined();
    heaps.push(backend.kernels().info().heapBytes);
    await session.release();
    await backend.dispose?.();
  }
  const [sliced, whole] = heaps;
  const weight = k * n * 4;
  // Two blocks (one read ahead) on top of the initial 16 MiB heap; whole, the weight itself.
  expect(whole).toBeGreaterThanOrEqual(weight);
  expect(sliced).toBeLessThan(16 * MiB + 3 * 4 * MiB);
  expect(sliced).toBeLessThan(whole - weight / 2);
});
