import { InferenceSession, MemoryFiles, WeightsError } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskNoCacheProvider } from '../src/index.js';
import { f32Bytes, TempDirs, vectorRef, withFileSpy } from './helpers.js';
import { TINY_RUN_BYTES, tinyExpected, tinyInput, writeTinyModel } from './tiny-model.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

describe('DiskNoCacheProvider', () => {
  it('runs a model reading every weight request from disk, duplicates included, on every run', async () => {
    const dir = await dirs.make();
    await writeTinyModel(dir);
    const nocache = new DiskNoCacheProvider();
    const { provider, spy } = withFileSpy(nocache);
    const session = await InferenceSession.create(dir, { weightsProvider: provider });
    for (let run = 1; run <= 2; run++) {
      const { out } = await session.run({ x: tinyInput() });
      expect(out.dims).toEqual([2, 4, 32]);
      expect(Array.from(out.data as Float32Array)).toEqual(tinyExpected());
      expect(spy().done).toEqual(Array(run).fill(['w1.bin', 'w2.bin', 'w1.bin', 'w3.bin', 'w4.bin']).flat());
    }
    expect(nocache.stats).toEqual({ reads: 10, bytesRead: 2 * TINY_RUN_BYTES });
    await session.release();
  });

  it('serves requests in any order without beginRun', async () => {
    const files = new MemoryFiles([
      ['a', f32Bytes([1, 2, 3])],
      ['b', f32Bytes([4, 5])],
    ]);
    const p = new DiskNoCacheProvider();
    p.init(files);
    const b = await p.get(vectorRef('b', 2));
    const a = await p.get(vectorRef('a', 3));
    expect(Array.from(b.data as Float32Array)).toEqual([4, 5]);
    expect(Array.from(a.data as Float32Array)).toEqual([1, 2, 3]);
    expect(a.dims).toEqual([3]);
  });

  it('names the weight and its file when a read fails, and refuses use before init', async () => {
    const p = new DiskNoCacheProvider();
    await expect(p.get(vectorRef('a', 1))).rejects.toThrow(
      /'nocache' has no model files: init\(\) was not called/,
    );
    p.init(new MemoryFiles([['short.bin', f32Bytes([1])]]));
    const err = await p.get(vectorRef('short.bin', 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect((err as Error).message).toMatch(/^cannot read weight 'short\.bin' from 'short\.bin': .*too short/);
  });
});
