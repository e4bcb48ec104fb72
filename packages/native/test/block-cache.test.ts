import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { KeepingProvider } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { binding } from '../src/binding.js';
import { nativeInfo } from '../src/index.js';
import { random } from './helpers.js';

const PAGE = 4096;
const pages = (bytes: number) => Math.ceil(bytes / PAGE) * PAGE;

// Alone in their file (its own process): the block cache is the process's.
describe('a lean hold on the block cache (a recorded run)', () => {
  it('keeps live and cached bytes within the high-water mark, without the small-model floor', () => {
    const addon = binding();
    // Cached blocks gone, high-water mark at what is live now.
    addon.trim();
    const cachedAfter = (lean: boolean) => {
      addon.free(addon.alloc(8 << 20));
      if (lean) addon.holdCacheLean(true);
      // A block too small to take the cached one: live and cached bytes would pass the mark.
      const small = addon.alloc(1 << 20);
      const level = addon.cacheLevel();
      addon.free(small);
      if (lean) addon.holdCacheLean(false);
      addon.trim();
      return level;
    };
    // A small model's blocks stay cached beyond its peak (up to 64 MiB in all)...
    expect(cachedAfter(false)).toBe(8 << 20);
    // ...except under the hold.
    expect(cachedAfter(true)).toBe(0);
    expect(() => addon.holdCacheLean(undefined as unknown as boolean)).toThrow(/holdCacheLean: a boolean/);
    // Given back once more than taken: refused, and the next hold still holds.
    expect(() => addon.holdCacheLean(false)).toThrow(/no hold to give back/);
    expect(cachedAfter(true)).toBe(0);
  });
});

describe('lasting blocks (weights a provider keeps)', () => {
  it('take exactly their pages, never a larger cached block', () => {
    const addon = binding();
    addon.trimCache(0);
    addon.free(addon.alloc(2 << 20));
    const cached = addon.cacheLevel();
    expect(cached).toBeGreaterThanOrEqual(2 << 20);
    const bytes = (3 << 19) + 100;
    const before = nativeInfo().bytesInUse;
    // Any other block takes the cached one, up to twice its size.
    const pooled = addon.alloc(bytes);
    expect(nativeInfo().bytesInUse - before).toBe(2 << 20);
    expect(addon.cacheLevel()).toBe(cached - (2 << 20));
    addon.free(pooled);
    const lasting = addon.alloc(bytes, true);
    expect(nativeInfo().bytesInUse - before).toBe(pages(bytes));
    expect(addon.cacheLevel()).toBe(cached);
    addon.free(lasting);
    expect(nativeInfo().bytesInUse).toBe(before);
  });

  it('hold a kept packed weight: in use after the run is its pages, with a larger block cached', async () => {
    const [k, n] = [256, 200];
    const w = random(k * n, 1);
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, k] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { w: new Tensor('float32', w, [k, n]) },
      nodes: [{ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const provider = new KeepingProvider();
    const session = await InferenceSession.create(model, {
      backend: 'native',
      weightsProvider: provider,
      replay: false,
    });
    const addon = binding();
    addon.trimCache(0);
    // A freed block a little larger than the packed weight (k x n floats and panel padding).
    addon.free(addon.alloc(pages(k * n * 4 * 1.4)));
    const before = nativeInfo().bytesInUse;
    const x = random(k, 2);
    const { y } = await session.run({ x: new Tensor('float32', x, [1, k]) });
    // The product's values, so the packed weight is the one the kernel read.
    const got = y.data as Float32Array;
    for (const j of [0, 17, n - 1]) {
      let want = 0;
      for (let i = 0; i < k; i++) want += x[i] * w[i * n + j];
      expect(got[j]).toBeCloseTo(want, 3);
    }
    y.dispose();
    const packed = provider.kept.get('w')!;
    expect(packed.byteLength).toBeGreaterThanOrEqual(k * n * 4);
    expect(nativeInfo().bytesInUse - before).toBe(pages(packed.byteLength));
    await session.release();
  });
});
