/**
 * Replayed runs (core's executor/replay.ts) on the wasm builds: the recorded kernel calls issued
 * again over one arena in the heap give the executor's bits for new inputs, and the arena is freed
 * after each run. The simd build's memory is not shared: the heap may grow (and its views detach)
 * between calls, so each call's buffers are located again.
 */
import { InferenceSession, Tensor } from '@onnxstream/core';
import { HoldingProvider, testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmVariant } from '../src/index.js';

const ultraface = testdata('models', 'ultraface-rfb-320', 'version-RFB-320.onnx');

function image(seed: number): Tensor {
  let s = seed;
  const data = Float32Array.from({ length: 3 * 240 * 320 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
  return new Tensor('float32', data, [1, 3, 240, 320]);
}

const VARIANTS: WasmVariant[] = ['threads', 'simd'];

describe.each(VARIANTS)('replayed runs on the wasm %s build', (variant) => {
  it('UltraFace: the executor’s bits for each new input, the arena freed after each run', async () => {
    const backend = createWasmBackend({ variant, threads: 2 });
    const replayed = await InferenceSession.create(ultraface, {
      backend,
      weightsProvider: new HoldingProvider(),
    });
    const executed = await InferenceSession.create(ultraface, {
      backend,
      weightsProvider: new HoldingProvider(),
      replay: false,
    });
    for (const t of Object.values(await replayed.run({ input: image(1) }))) t.dispose();
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
    for (const seed of [2, 3]) {
      const got = await replayed.run({ input: image(seed) });
      expect(replayed.lastRunStats!.replayed!.arenaBytes).toBeGreaterThan(0);
      const want = await executed.run({ input: image(seed) });
      for (const name of ['scores', 'boxes']) {
        expect(Array.from(got[name].data as Float32Array)).toEqual(
          Array.from(want[name].data as Float32Array),
        );
        got[name].dispose();
        want[name].dispose();
      }
    }
    const info = backend.kernels().info();
    expect(info.bytesInUse).toBe(info.stagingBytes);
    await replayed.release();
    await executed.release();
    await backend.dispose?.();
  });
});
