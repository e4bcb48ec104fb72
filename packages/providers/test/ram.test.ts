import {
  InferenceSession,
  MemoryFiles,
  type ModelFiles,
  Tensor,
  type WeightRef,
  type WeightsProvider,
} from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskNoCacheProvider, DiskPrefetchProvider, RamProvider } from '../src/index.js';
import { f32Bytes, TempDirs, vectorRef, withFileSpy } from './helpers.js';
import { tinyExpected, tinyInput, writeTinyModel } from './tiny-model.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

/** Bytes held by the RAM cache of the tiny model: w1 (once), w2, w3, w4. */
const TINY_UNIQUE_BYTES = (32 + 128 + 256 + 32) * 4;

async function tinySession(ram: RamProvider) {
  const dir = await dirs.make();
  await writeTinyModel(dir);
  const { provider, spy } = withFileSpy(ram);
  const session = await InferenceSession.create(dir, { weightsProvider: provider });
  return { session, spy };
}

describe('RamProvider', () => {
  it('reads each weight once on the first run and serves later runs without touching the files', async () => {
    const ram = new RamProvider();
    const { session, spy } = await tinySession(ram);
    const first = await session.run({ x: tinyInput() });
    expect(Array.from(first.out.data as Float32Array)).toEqual(tinyExpected());
    // w1 is used by two operators but read once.
    expect([...spy().done].sort()).toEqual(['w1.bin', 'w2.bin', 'w3.bin', 'w4.bin']);
    expect(ram.stats).toEqual({ weights: 4, bytes: TINY_UNIQUE_BYTES });

    const second = await session.run({ x: tinyInput() });
    expect(Array.from(second.out.data as Float32Array)).toEqual(tinyExpected());
    expect(spy().started).toHaveLength(4);
    await session.release();
  });

  it('preload() reads everything before the first run, which then does no file I/O', async () => {
    const ram = new RamProvider({ source: new DiskNoCacheProvider() });
    const { session, spy } = await tinySession(ram);
    expect(spy().started).toHaveLength(0);
    await ram.preload();
    expect(spy().done).toEqual(['w1.bin', 'w2.bin', 'w3.bin', 'w4.bin']);
    const { out } = await session.run({ x: tinyInput() });
    expect(Array.from(out.data as Float32Array)).toEqual(tinyExpected());
    expect(spy().started).toHaveLength(4);
    await ram.preload(); // nothing left to read
    expect(spy().started).toHaveLength(4);
    await session.release();
  });

  it('forwards only the weights it does not hold to its source, first occurrences in order', async () => {
    const refs = ['a', 'b', 'c'].map((n) => vectorRef(n, 2));
    const files = new MemoryFiles(refs.map((r, k): [string, Uint8Array] => [r.file, f32Bytes([k, k + 0.5])]));
    const source = new RecordingProvider(new DiskPrefetchProvider());
    const ram = new RamProvider({ source });
    ram.init(files, refs);
    const [a, b, c] = refs;

    ram.beginRun([a, b, a]);
    await Promise.all([a, b, a].map((r) => ram.get(r)));
    await ram.endRun();
    expect(source.log).toEqual(['begin a,b', 'get a', 'get b', 'end']);

    ram.beginRun([c, a, b, c]);
    const got = await Promise.all([c, a, b, c].map((r) => ram.get(r)));
    await ram.endRun();
    expect(source.log.slice(4)).toEqual(['begin c', 'get c', 'end']);
    expect(got.map((t) => Array.from(t.data as Float32Array))).toEqual([
      [2, 2.5],
      [0, 0.5],
      [1, 1.5],
      [2, 2.5],
    ]);
    expect(got[0]).toBe(got[3]);

    ram.beginRun([b, c]); // all in RAM: the source is not involved at all
    await ram.get(b);
    await ram.get(c);
    await ram.endRun();
    expect(source.log).toHaveLength(7);
  });

  it('keeps the converted form offered by update() unless keepConverted is false', async () => {
    const ref = vectorRef('w', 2);
    const files = new MemoryFiles([['w', f32Bytes([1.5, -2])]]);
    const converted = new Tensor('float16', new Uint16Array([0x3e00, 0xc000]), [2]);
    for (const keepConverted of [true, false]) {
      const ram = new RamProvider({ source: new DiskNoCacheProvider(), keepConverted });
      ram.init(files, [ref]);
      ram.beginRun([ref]);
      const original = await ram.get(ref);
      await ram.endRun();
      ram.update(ref, converted);
      expect(await ram.get(ref)).toBe(keepConverted ? converted : original);
      expect(ram.held(ref)).toBe(keepConverted ? converted : original);
    }
  });

  it('held() names what get() would hand out without a read: nothing until a read has finished', async () => {
    const [a, b] = ['a', 'b'].map((n) => vectorRef(n, 2));
    const files = new MemoryFiles([
      [a.file, f32Bytes([1, 2])],
      [b.file, f32Bytes([3, 4])],
    ]);
    const source = new RecordingProvider(new DiskNoCacheProvider());
    const ram = new RamProvider({ source });
    ram.init(files, [a, b]);
    expect(ram.held(a)).toBeUndefined();
    const reading = ram.get(a);
    expect(ram.held(a)).toBeUndefined(); // in flight
    const t = await reading;
    expect(ram.held(a)).toBe(t);
    expect(ram.held(b)).toBeUndefined();
    expect(source.log).toEqual(['get a']);
  });

  it('does not cache a failed read: the next request tries again', async () => {
    const ref = vectorRef('w', 1);
    let calls = 0;
    const flaky: WeightsProvider = {
      name: 'flaky',
      get: async (r) => {
        calls++;
        if (calls === 1) throw new Error(`transient failure reading '${r.file}'`);
        return new Tensor('float32', new Float32Array([7]), [1]);
      },
    };
    const ram = new RamProvider({ source: flaky });
    await expect(ram.get(ref)).rejects.toThrow("transient failure reading 'w'");
    expect(Array.from((await ram.get(ref)).data as Float32Array)).toEqual([7]);
    expect(Array.from((await ram.get(ref)).data as Float32Array)).toEqual([7]);
    expect(calls).toBe(2);
  });

  it('preload() before init is an error', async () => {
    await expect(new RamProvider().preload()).rejects.toThrow(
      "weights provider 'ram': preload() needs init() first",
    );
  });
});

/** Logs the calls a RamProvider makes to its source. */
class RecordingProvider implements WeightsProvider {
  readonly name = 'recording';
  readonly log: string[] = [];
  constructor(readonly inner: WeightsProvider) {}

  init(files: ModelFiles, weights: readonly WeightRef[]) {
    return this.inner.init?.(files, weights);
  }

  beginRun(order: readonly WeightRef[]): void {
    this.log.push(`begin ${order.map((r) => r.name).join(',')}`);
    this.inner.beginRun?.(order);
  }

  get(ref: WeightRef): Promise<Tensor> {
    this.log.push(`get ${ref.name}`);
    return this.inner.get(ref);
  }

  async endRun(): Promise<void> {
    this.log.push('end');
    await this.inner.endRun?.();
  }
}
