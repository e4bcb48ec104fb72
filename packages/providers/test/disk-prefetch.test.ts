import { InferenceSession, MemoryFiles, type WeightRef, WeightsError } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskPrefetchProvider } from '../src/index.js';
import { CountingFiles, f32Bytes, settle, TempDirs, vectorRef, withFileSpy } from './helpers.js';
import { TINY_RUN_BYTES, tinyExpected, tinyInput, writeTinyModel } from './tiny-model.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

/** Element counts of the weights w0..w9: small and large ones, two larger than the 1 KiB budget below. */
const COUNTS = [100, 60, 50, 2000, 80, 200, 200, 10, 1200, 64];
const BUDGET = 1024;
const LARGEST = Math.max(...COUNTS) * 4;

/** Weight k holds the values k*10000 + i, so every returned tensor proves which bytes it got. */
function weightSet(counts: readonly number[]): { files: CountingFiles; refs: WeightRef[] } {
  const refs = counts.map((n, k) => vectorRef(`w${k}.bin`, n));
  const files = new MemoryFiles(refs.map((r, k) => [r.file, f32Bytes(valuesOf(k, counts[k]))]));
  return { files: new CountingFiles(files), refs };
}

function valuesOf(k: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => k * 10000 + i);
}

function expectWeight(data: unknown, k: number, n: number): void {
  expect(Array.from(data as Float32Array)).toEqual(valuesOf(k, n));
}

describe('DiskPrefetchProvider', () => {
  it('runs a model with every request served by read-ahead', async () => {
    const dir = await dirs.make();
    await writeTinyModel(dir);
    const prefetch = new DiskPrefetchProvider({ lookaheadBytes: 600 });
    const { provider, spy } = withFileSpy(prefetch);
    const session = await InferenceSession.create(dir, { weightsProvider: provider });
    const { out } = await session.run({ x: tinyInput() });
    expect(Array.from(out.data as Float32Array)).toEqual(tinyExpected());
    // Reads start in request order; w1 is requested twice and, like OnnxStream, read twice.
    expect(spy().started.map((r) => r.path)).toEqual(['w1.bin', 'w2.bin', 'w1.bin', 'w3.bin', 'w4.bin']);
    const s = prefetch.stats;
    expect(s).toMatchObject({
      reads: 5,
      bytesRead: TINY_RUN_BYTES,
      hits: 5,
      misses: 0,
      heldBytes: 0,
      evictions: 0,
    });
    // Budget 600 B, largest weight w3 is 1024 B.
    expect(s.peakHeldBytes).toBeLessThanOrEqual(600 + 1024);
    expect(s.peakHeldBytes).toBeGreaterThan(600);
    await session.release();
  });

  it('reads ahead right after beginRun, before any request', () => {
    const { files, refs } = weightSet(COUNTS);
    const p = new DiskPrefetchProvider({ lookaheadBytes: BUDGET });
    p.init(files);
    p.beginRun(refs);
    // 400 + 240 + 200 = 840 B fit; w3 (8000 B) is the one weight allowed to cross the budget.
    expect(files.started.map((r) => r.path)).toEqual(['w0.bin', 'w1.bin', 'w2.bin', 'w3.bin']);
    expect(p.stats.heldBytes).toBe(840 + 8000);
  });

  it('keeps at most lookaheadBytes plus one weight ahead of an in-order consumer', async () => {
    const { files, refs } = weightSet(COUNTS);
    const p = new DiskPrefetchProvider({ lookaheadBytes: BUDGET });
    p.init(files);
    p.beginRun(refs);
    let requested = 0;
    for (const [k, ref] of refs.entries()) {
      const pending = p.get(ref);
      requested += ref.byteLength;
      // Independent of the provider's counters: bytes whose read started but nobody requested yet.
      expect(files.startedBytes - requested).toBeLessThanOrEqual(BUDGET + LARGEST);
      expect(p.stats.heldBytes).toBe(files.startedBytes - requested);
      expectWeight((await pending).data, k, COUNTS[k]);
      await settle(); // the consumer "computes" while reads complete
    }
    await p.endRun();
    const s = p.stats;
    expect(s).toMatchObject({ hits: refs.length, misses: 0, evictions: 0, reads: refs.length, heldBytes: 0 });
    expect(s.peakHeldBytes).toBeLessThanOrEqual(BUDGET + LARGEST);
    expect(s.peakHeldBytes).toBeGreaterThan(BUDGET);
  });

  it('without plusOneFile never holds more than the budget and reads larger weights on request', async () => {
    const { files, refs } = weightSet(COUNTS);
    const p = new DiskPrefetchProvider({ lookaheadBytes: BUDGET, plusOneFile: false });
    p.init(files);
    p.beginRun(refs);
    for (const [k, ref] of refs.entries()) {
      expectWeight((await p.get(ref)).data, k, COUNTS[k]);
      expect(p.stats.heldBytes).toBeLessThanOrEqual(BUDGET);
      await settle();
    }
    await p.endRun();
    // w3 (8000 B) and w8 (4800 B) exceed the budget: the only misses.
    expect(p.stats).toMatchObject({ hits: refs.length - 2, misses: 2, reads: refs.length });
    expect(p.stats.peakHeldBytes).toBeLessThanOrEqual(BUDGET);
  });

  it('tolerates any request order: shuffled, repeated and unannounced requests are all served', async () => {
    const counts = Array.from({ length: 16 }, (_, k) => 20 + ((k * 37) % 50));
    const { files, refs } = weightSet(counts);
    const budget = 600;
    const largest = Math.max(...counts) * 4;
    const p = new DiskPrefetchProvider({ lookaheadBytes: budget });
    p.init(files);
    p.beginRun(refs);
    const shuffled = [3, 0, 1, 15, 2, 4, 5, 9, 8, 7, 6, 10, 14, 13, 11, 12];
    for (const k of shuffled) {
      expectWeight((await p.get(refs[k])).data, k, counts[k]);
      expect(p.stats.heldBytes).toBeLessThanOrEqual(budget + largest);
      await settle();
    }
    // Requests outside the announced order: a repeat and a weight never announced.
    expectWeight((await p.get(refs[3])).data, 3, counts[3]);
    const extra = new DiskPrefetchProvider();
    extra.init(files);
    expectWeight((await extra.get(refs[7])).data, 7, counts[7]);
    expect(extra.stats).toMatchObject({ hits: 0, misses: 1 });

    const s = p.stats;
    // Read-ahead follows the jumps, so 9 of the 16 shuffled requests still find their weight
    // prefetched; the repeat is a direct read.
    expect(s).toMatchObject({ hits: 9, misses: 8 });
    expect(s.peakHeldBytes).toBeLessThanOrEqual(budget + largest);
    await p.endRun();
    expect(p.stats.heldBytes).toBe(0);
  });

  it('resynchronises after skipped and backward requests', async () => {
    const counts = Array(10).fill(25); // 100 B each
    const { files, refs } = weightSet(counts);
    const p = new DiskPrefetchProvider({ lookaheadBytes: 200, plusOneFile: false });
    p.init(files);
    p.beginRun(refs);
    const take = async (k: number) => expectWeight((await p.get(refs[k])).data, k, 25);
    await take(0);
    await take(1); // w2, w3 are now read ahead
    await take(6); // skips 2..5: a miss; stale w2, w3 are evicted to read ahead 7, 8
    expect(p.stats).toMatchObject({ hits: 2, misses: 1, evictions: 2 });
    await settle();
    await take(7);
    await take(8);
    expect(p.stats).toMatchObject({ hits: 4, misses: 1 });
    await take(2); // backward: a miss; read-ahead restarts at 3 while w9 stays held
    expect(p.stats).toMatchObject({ hits: 4, misses: 2 });
    await take(3);
    await take(4);
    await take(5);
    await take(9);
    // 10 weights, plus the two evicted reads of w2 and w3 done again.
    expect(p.stats).toMatchObject({ hits: 8, misses: 2, evictions: 2, reads: 12 });
    expect(p.stats.peakHeldBytes).toBeLessThanOrEqual(200);
    await p.endRun();
  });

  it('serves concurrent requests issued together (as the executor does for one operator)', async () => {
    const { files, refs } = weightSet(COUNTS);
    const p = new DiskPrefetchProvider({ lookaheadBytes: 0 });
    p.init(files);
    p.beginRun(refs);
    const tensors = await Promise.all(refs.map((r) => p.get(r)));
    for (const [k, t] of tensors.entries()) expectWeight(t.data, k, COUNTS[k]);
    await p.endRun();
    // Budget 0 with plusOneFile: exactly one weight ahead, so each request finds its read started.
    expect(p.stats).toMatchObject({ hits: refs.length, misses: 0, reads: refs.length });
    expect(p.stats.peakHeldBytes).toBe(LARGEST);
  });

  it('surfaces a read error on the request that needs the weight, naming its file, and goes on', async () => {
    const counts = [10, 10, 10, 10];
    const refs = counts.map((n, k) => vectorRef(`w${k}.bin`, n));
    // w2.bin is missing; w3 exists.
    const files = new MemoryFiles(
      [0, 1, 3].map((k): [string, Uint8Array] => [refs[k].file, f32Bytes(valuesOf(k, counts[k]))]),
    );
    const p = new DiskPrefetchProvider({ lookaheadBytes: 1 << 20 });
    p.init(files);
    p.beginRun(refs);
    expectWeight((await p.get(refs[0])).data, 0, 10);
    expectWeight((await p.get(refs[1])).data, 1, 10);
    const err = await p.get(refs[2]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect((err as Error).message).toBe(
      "cannot read weight 'w2.bin' from 'w2.bin': file 'w2.bin' not found in memory",
    );
    expectWeight((await p.get(refs[3])).data, 3, 10);
    await p.endRun();
  });

  it('a failed prefetch that is never requested is dropped silently by endRun', async () => {
    const refs = [vectorRef('ok.bin', 8), vectorRef('missing.bin', 8)];
    const p = new DiskPrefetchProvider();
    p.init(new MemoryFiles([['ok.bin', f32Bytes(valuesOf(0, 8))]]));
    p.beginRun(refs);
    expectWeight((await p.get(refs[0])).data, 0, 8);
    await expect(p.endRun()).resolves.toBeUndefined();
    expect(p.stats.heldBytes).toBe(0);
  });

  it('endRun cancels read-ahead and frees the prefetched buffers', async () => {
    const { files, refs } = weightSet(COUNTS);
    const p = new DiskPrefetchProvider({ lookaheadBytes: BUDGET });
    p.init(files);
    p.beginRun(refs);
    expectWeight((await p.get(refs[0])).data, 0, COUNTS[0]);
    const started = files.started.length;
    expect(p.stats.heldBytes).toBeGreaterThan(0);
    await p.endRun();
    expect(p.stats.heldBytes).toBe(0);
    await settle();
    expect(files.started.length).toBe(started);
    // Between runs requests are still served, by direct reads.
    expectWeight((await p.get(refs[5])).data, 5, COUNTS[5]);
    expect(p.stats.misses).toBe(1);
  });

  it('reads weights that lie together in one file in one read, each into a buffer of its own', async () => {
    // One file, as an .onnx file's initializers: w0 and w1 8 bytes apart, w2 and w3 4097 bytes past
    // them (too far to join) and 2 apart, then 12 bytes past the file's end for a shortened copy.
    const counts = [100, 60, 50, 30];
    const gaps = [0, 8, 4097, 2];
    const refs: WeightRef[] = [];
    let at = 0;
    for (const [k, n] of counts.entries()) {
      at += gaps[k];
      refs.push({ ...vectorRef(`w${k}`, n), file: 'model.onnx', offset: at });
      at += n * 4;
    }
    const bytes = new Uint8Array(at);
    for (const [k, ref] of refs.entries()) bytes.set(f32Bytes(valuesOf(k, counts[k])), ref.offset);
    const files = new CountingFiles(new MemoryFiles([['model.onnx', bytes]]));
    const p = new DiskPrefetchProvider();
    p.init(files);
    // Requested out of file order, w1 twice (read once per request, as OnnxStream does).
    const order = [refs[1], refs[3], refs[0], refs[2], refs[1]];
    p.beginRun(order);
    // Spans start in the order of their first request: w0 + w1, w2 + w3 (w3 second), then w1 again.
    expect(files.started).toEqual([
      { path: 'model.onnx', length: 408 + 240 },
      { path: 'model.onnx', length: 200 + 2 + 120 },
      { path: 'model.onnx', length: 240 },
    ]);
    for (const ref of order) {
      const k = refs.indexOf(ref);
      const t = await p.get(ref);
      expectWeight(t.data, k, counts[k]);
      p.release(ref, t);
    }
    await p.endRun();
    expect(p.stats).toMatchObject({ reads: 3, bytesRead: 648 + 240 + 322, hits: 5, misses: 0, heldBytes: 0 });

    // A failed read fails each of its weights' requests, naming the weight.
    const short = new DiskPrefetchProvider();
    short.init(new MemoryFiles([['model.onnx', bytes.subarray(0, at - 4)]]));
    short.beginRun(order);
    expectWeight((await short.get(refs[1])).data, 1, counts[1]);
    await expect(short.get(refs[3])).rejects.toThrow(/cannot read weight 'w3' from 'model.onnx'/);
    await expect(short.get(refs[0])).resolves.toBeDefined();
    await expect(short.get(refs[2])).rejects.toThrow(/cannot read weight 'w2' from 'model.onnx'/);
    await short.endRun();
  });

  it('rejects a negative budget and use before init', () => {
    expect(() => new DiskPrefetchProvider({ lookaheadBytes: -1 })).toThrow(
      /lookaheadBytes must be a finite number >= 0/,
    );
    expect(() => new DiskPrefetchProvider().beginRun([])).toThrow(/init\(\) was not called/);
  });
});
