import { type HostAllocator, InferenceSession, setHostAllocator } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { classSize } from '../src/buffer-pool.js';
import { BufferPool, DiskNoCacheProvider, DiskPrefetchProvider } from '../src/index.js';
import { TempDirs, writeModel } from './helpers.js';
import { tinyExpected, tinyInput, writeTinyModel } from './tiny-model.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

describe('BufferPool', () => {
  it('rounds sizes up to eight classes per power of two', () => {
    expect([1, 64, 65, 128, 129, 144, 145, 1000, 1024, 1025].map(classSize)).toEqual([
      64, 64, 72, 128, 144, 144, 160, 1024, 1024, 1152,
    ]);
    for (const n of [3000, 65_537, 5_000_000]) {
      expect(classSize(n)).toBeGreaterThanOrEqual(n);
      expect(classSize(n)).toBeLessThanOrEqual(n * 1.125);
    }
  });

  it('reuses a given-back buffer of the same class and ignores foreign or repeated gives', () => {
    const pool = new BufferPool(4096);
    const a = pool.take(1000);
    expect(a.byteLength).toBe(1000);
    expect(a.buffer.byteLength).toBe(1024);
    pool.give(a.buffer);
    pool.give(a.buffer);
    pool.give(new ArrayBuffer(1024));
    expect(pool.stats.freeBytes).toBe(1024);
    const b = pool.take(1010);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.take(1000).buffer).not.toBe(a.buffer);
    expect(pool.stats).toEqual({ freeBytes: 0, reuses: 1, allocations: 2 });
  });

  it('takes buffers from a registered host allocator and hands each back to it at once when given', () => {
    const allocated: ArrayBuffer[] = [];
    const freed: ArrayBuffer[] = [];
    const host: HostAllocator = {
      allocate: (n) => {
        const b = new ArrayBuffer(n);
        allocated.push(b);
        return b;
      },
      free: (b) => freed.push(b),
    };
    const pool = new BufferPool();
    const plain = pool.take(100);
    setHostAllocator(host);
    try {
      const a = pool.take(5000);
      expect(allocated).toEqual([a.buffer]);
      expect(a.buffer.byteLength).toBe(classSize(5000));
      pool.give(a.buffer);
      expect(freed).toEqual([a.buffer]);
      // Nothing kept: the host's own cache recycles; the next take allocates again.
      expect(pool.stats.freeBytes).toBe(0);
      const b = pool.take(5000);
      expect(allocated.length).toBe(2);
      pool.give(b.buffer);
      expect(freed).toEqual([a.buffer, b.buffer]);
      // A buffer allocated before the host allocator was registered stays in the pool.
      pool.give(plain.buffer);
      expect(freed.length).toBe(2);
      expect(pool.stats.freeBytes).toBe(classSize(100));
    } finally {
      setHostAllocator(undefined);
    }
    expect(pool.take(100).buffer).toBe(plain.buffer);
    expect(allocated.length).toBe(2);
  });

  it("allocates plain ArrayBuffers where Node's Buffer does not exist (browsers, workers)", () => {
    const g = globalThis as { Buffer?: unknown };
    const saved = g.Buffer;
    g.Buffer = undefined;
    try {
      const pool = new BufferPool();
      const a = pool.take(100);
      expect(a.buffer.byteLength).toBe(104);
      pool.give(a.buffer);
      expect(pool.take(100).buffer).toBe(a.buffer);
    } finally {
      g.Buffer = saved;
    }
  });

  it('keeps at most maxFreeBytes of free buffers, dropping the least recently freed', () => {
    const pool = new BufferPool(2048);
    const big = pool.take(4096);
    const [a, b, c] = [pool.take(1024), pool.take(1024), pool.take(1024)];
    pool.give(a.buffer);
    pool.give(b.buffer);
    pool.give(c.buffer);
    pool.give(big.buffer);
    expect(pool.stats.freeBytes).toBe(2048);
    // a was dropped, and big never fitted; c (freed last) comes back first.
    expect(pool.take(1024).buffer).toBe(c.buffer);
    expect(pool.take(1024).buffer).toBe(b.buffer);
    expect(pool.take(1024).buffer).not.toBe(a.buffer);
  });

  it('holds no more than 1.25 times the high-water mark of buffers in use, free ones included', () => {
    const pool = new BufferPool(1 << 30);
    // In use at once at most: 4096 + 1024 bytes.
    const big = pool.take(4096);
    const small = pool.take(1024);
    pool.give(big.buffer);
    pool.give(small.buffer);
    expect(pool.stats.freeBytes).toBe(5120);
    // 1536 bytes fit neither free buffer (4096 is over twice); with 1536 in use there is room for
    // 1.25 * 5120 - 1536 = 4864 free: the big one (freed first) goes.
    const mid = pool.take(1500);
    expect(pool.stats).toEqual({ freeBytes: 1024, reuses: 0, allocations: 3 });
    pool.give(mid.buffer);
    expect(pool.stats.freeBytes).toBe(2560);
  });

  it('serves a request from the smallest free buffer up to twice its size', () => {
    const pool = new BufferPool();
    const [a, b] = [pool.take(4096), pool.take(3000)];
    pool.give(a.buffer);
    pool.give(b.buffer);
    // 2048 bytes: the 3072-byte class (b) fits best.
    const c = pool.take(2048);
    expect(c.buffer).toBe(b.buffer);
    expect(c.byteLength).toBe(2048);
    // 1000 bytes: 4096 is over twice, so a fresh one; a still fits (4096 in use, 1.25 * 7168 in all).
    expect(pool.take(1000).buffer).not.toBe(a.buffer);
    expect(pool.stats).toEqual({ freeBytes: 4096, reuses: 1, allocations: 3 });
    // Another 4096 in use leaves 960 of room: a is taken for it rather than dropped.
    expect(pool.take(4000).buffer).toBe(a.buffer);
  });
});

describe('providers recycle weight buffers', () => {
  it('a second run reads every weight into buffers of the first', async () => {
    const dir = await dirs.make();
    await writeTinyModel(dir);
    for (const make of [
      (pool: BufferPool) => new DiskNoCacheProvider({ pool }),
      (pool: BufferPool) => new DiskPrefetchProvider({ pool }),
    ]) {
      const pool = new BufferPool();
      const session = await InferenceSession.create(dir, { weightsProvider: make(pool) });
      const { out } = await session.run({ x: tinyInput() });
      expect(Array.from(out.data as Float32Array)).toEqual(tinyExpected());
      const first = pool.stats.allocations;
      const again = await session.run({ x: tinyInput() });
      expect(Array.from(again.out.data as Float32Array)).toEqual(tinyExpected());
      expect(pool.stats.allocations).toBe(first);
      expect(pool.stats.reuses).toBeGreaterThanOrEqual(5);
      await session.release();
    }
  });

  it('never recycles a weight buffer that an output still views', async () => {
    const dir = await dirs.make();
    const w1 = Array.from({ length: 32 }, (_, k) => k);
    const w2 = Array.from({ length: 32 }, () => -1);
    const w3 = Array.from({ length: 32 }, () => 2);
    // o1 is the weight itself (Identity shares data); w3 (same size class) is read after the
    // Identity is done (w2 is read ahead while it runs).
    await writeModel(
      dir,
      [
        'id:Identity*input:w1.bin(float32:1,32)*output:o1(1,32)',
        'add:Add*input:x(1,32);w2.bin(float32:1,32)*output:o2(1,32)',
        'mul:Mul*input:o2(1,32);w3.bin(float32:1,32)*output:o3(1,32)',
      ],
      { 'w1.bin': w1, 'w2.bin': w2, 'w3.bin': w3 },
    );
    const pool = new BufferPool();
    const session = await InferenceSession.create(dir, {
      weightsProvider: new DiskNoCacheProvider({ pool }),
    });
    const { o1, o3 } = await session.run({ x: tinyInput().reshape([1, 32]) });
    expect(Array.from(o1.data as Float32Array)).toEqual(w1);
    expect(Array.from(o3.data as Float32Array)).toEqual(
      Array.from(tinyInput().data as Float32Array, (v) => (v - 1) * 2),
    );
    await session.release();
  });
});
