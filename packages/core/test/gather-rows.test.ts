import { describe, expect, it } from 'vitest';
import {
  InferenceSession,
  MemoryFiles,
  readWeightRows,
  Tensor,
  type WeightRef,
  type WeightsProvider,
  weightTensor,
} from '../src/index.js';
import { float32ToHalf, halfToFloat32 } from '../src/tensor/float16.js';

// A 8192x64 float16 embedding table: 1 MiB, the size from which lookups read rows.
const ROWS = 8192;
const WIDTH = 64;
const table = Float32Array.from({ length: ROWS * WIDTH }, (_, i) => ((i * 7919) % 2003) / 64 - 15);
const tableF16 = float32ToHalf(table);
const MODEL =
  `g:Gather*input:emb.bin(float16:${ROWS},${WIDTH});ids(2,3)*output:e(2,3,${WIDTH})*axis:0\n` +
  `r:Relu*input:e(2,3,${WIDTH})*output:y(2,3,${WIDTH})\n`;
const files = new MemoryFiles([
  ['model.txt', new TextEncoder().encode(MODEL)],
  ['emb.bin', new Uint8Array(tableF16.buffer)],
]);

/** Reads through `files`, recording whole-weight and row requests. */
function recordingProvider(withRows: boolean) {
  const log: string[] = [];
  const provider: WeightsProvider = {
    name: 'recording',
    get: async (ref: WeightRef) => {
      log.push(`get ${ref.name}`);
      return weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength));
    },
    ...(withRows && {
      getRows: async (ref: WeightRef, rows: Int32Array) => {
        log.push(`rows ${ref.name} ${[...rows].join(',')}`);
        return readWeightRows(files, ref, rows);
      },
    }),
  };
  return { provider, log };
}

const ids = [5, ROWS - 1, 0, -1, 5, 4097];
const idsTensor = () => new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 3]);

/** Relu(table[ids]) from the float16 values, computed here from the table. */
function expected(): number[] {
  const half = halfToFloat32(tableF16);
  return ids.flatMap((i) => {
    const r = i < 0 ? i + ROWS : i;
    return Array.from(half.subarray(r * WIDTH, (r + 1) * WIDTH), (v) => Math.max(0, v));
  });
}

describe('Gather of a large weight by run-time indices', () => {
  it('reads only the indexed rows when the provider can, with the same result as a whole read', async () => {
    const rows = recordingProvider(true);
    const whole = recordingProvider(false);
    const a = await InferenceSession.create(
      { files, entry: 'model.txt' },
      { weightsProvider: rows.provider },
    );
    const b = await InferenceSession.create(
      { files, entry: 'model.txt' },
      { weightsProvider: whole.provider },
    );
    const ya = (await a.run({ ids: idsTensor() })).y;
    const yb = (await b.run({ ids: idsTensor() })).y;
    expect(ya.type).toBe('float32');
    expect(ya.dims).toEqual([2, 3, WIDTH]);
    expect([...(ya.data as Float32Array)]).toEqual(expected());
    expect([...(yb.data as Float32Array)]).toEqual(expected());
    // Negative indices resolved, repeats kept; the table itself never requested.
    expect(rows.log).toEqual([`rows emb.bin 5,${ROWS - 1},0,${ROWS - 1},5,4097`]);
    expect(whole.log).toEqual(['get emb.bin']);
    // 6 rows of 64 against the whole table, as stored (float16), not as converted to float32.
    expect(a.lastRunStats!.weightBytes).toBe(6 * WIDTH * 2);
    expect(b.lastRunStats!.weightBytes).toBe(ROWS * WIDTH * 2);
    expect(a.lastRunStats!.peakTensorBytes).toBeLessThan(b.lastRunStats!.peakTensorBytes / 100);
    await a.release();
    await b.release();
  });

  it('names the operator when an index is out of range', async () => {
    const { provider } = recordingProvider(true);
    const s = await InferenceSession.create({ files, entry: 'model.txt' }, { weightsProvider: provider });
    const bad = new Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n, BigInt(ROWS), 0n]), [2, 3]);
    await expect(s.run({ ids: bad })).rejects.toThrow(/Gather.*'g'.*index 8192 is out of range/s);
    await s.release();
  });

  it('readWeightRows merges consecutive rows into one read and refuses rows out of range', async () => {
    const reads: [number, number][] = [];
    const counting = {
      root: 'counting',
      size: (p: string) => files.size(p),
      exists: (p: string) => files.exists(p),
      read: (p: string, offset: number, length: number, into?: Uint8Array) => {
        reads.push([offset, length]);
        return files.read(p, offset, length, into);
      },
    };
    const ref: WeightRef = {
      name: 'emb',
      file: 'emb.bin',
      offset: 0,
      byteLength: ROWS * WIDTH * 2,
      type: 'float16',
      dims: [ROWS, WIDTH],
    };
    const t = await readWeightRows(counting, ref, Int32Array.from([3, 1, 2, 9, 2]));
    expect(t.dims).toEqual([5, WIDTH]);
    const rowBytes = WIDTH * 2;
    expect(reads).toEqual([
      [rowBytes, 3 * rowBytes],
      [9 * rowBytes, rowBytes],
    ]);
    const got = new Uint16Array((t.data as Uint16Array).buffer);
    expect([...got.subarray(2 * WIDTH, 3 * WIDTH)]).toEqual([...tableF16.subarray(2 * WIDTH, 3 * WIDTH)]);
    expect([...got.subarray(3 * WIDTH, 4 * WIDTH)]).toEqual([...tableF16.subarray(9 * WIDTH, 10 * WIDTH)]);
    await expect(readWeightRows(counting, ref, Int32Array.from([ROWS]))).rejects.toThrow(
      /weight 'emb': row 8192 is out of range/,
    );
  });
});
