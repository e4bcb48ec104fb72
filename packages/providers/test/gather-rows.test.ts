import { InferenceSession, Tensor, type WeightsProvider } from '@onnxstream/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DiskNoCacheProvider, DiskPrefetchProvider, HttpProvider, RamProvider } from '../src/index.js';
import { TempDirs, withFileSpy, writeModel } from './helpers.js';
import { TestServer } from './http-server.js';

// An embedding lookup (CLIP's token embedding in miniature): a 4096x128 float32 table (2 MiB),
// gathered by run-time token ids, then scaled by a small weight.
const ROWS = 4096;
const WIDTH = 128;
const TABLE_BYTES = ROWS * WIDTH * 4;
const table = Float32Array.from({ length: ROWS * WIDTH }, (_, i) => ((i * 104729) % 1009) / 100 - 5);
const scale = Float32Array.from({ length: WIDTH }, (_, i) => 1 + i / WIDTH);
const LINES = [
  `g:Gather*input:emb.bin(float32:${ROWS},${WIDTH});ids(1,5)*output:e(1,5,${WIDTH})*axis:0`,
  `m:Mul*input:e(1,5,${WIDTH});scale.bin(float32:${WIDTH})*output:out(1,5,${WIDTH})`,
];
const TOKENS = [49, 4095, 7, 8, 49];
const ids = () => new Tensor('int64', BigInt64Array.from(TOKENS.map(BigInt)), [1, 5]);
const expected = () =>
  TOKENS.flatMap((t) =>
    Array.from({ length: WIDTH }, (_, j) => Math.fround(table[t * WIDTH + j] * scale[j])),
  );

const dirs = new TempDirs();
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(() => dirs.cleanup());

async function folder(): Promise<string> {
  const dir = await dirs.make();
  await writeModel(dir, LINES, { 'emb.bin': table, 'scale.bin': scale });
  return dir;
}

async function run(session: InferenceSession): Promise<number[]> {
  const { out } = await session.run({ ids: ids() });
  return [...(out.data as Float32Array)];
}

describe('providers read only the rows an embedding lookup needs', () => {
  for (const make of [() => new DiskNoCacheProvider(), () => new DiskPrefetchProvider()]) {
    it(`${make().name}: the table's indexed rows, one read per run of consecutive ids`, async () => {
      const { provider, spy } = withFileSpy(make());
      const session = await InferenceSession.create(await folder(), { weightsProvider: provider });
      expect(await run(session)).toEqual(expected());
      const reads = spy().started.filter((r) => r.path === 'emb.bin');
      // Rows 7-8, 49 and 4095: three reads, four rows.
      expect(reads.map((r) => r.length).sort((a, b) => a - b)).toEqual([WIDTH * 4, WIDTH * 4, 2 * WIDTH * 4]);
      await session.release();
    });
  }

  it('http: Range requests for the rows instead of the 2 MiB table', async () => {
    const server = await new TestServer({ dir: await folder() }).start();
    servers.push(server);
    const provider = new HttpProvider({ url: server.url, retryDelayMs: 1, maxRetryDelayMs: 5 });
    const session = await InferenceSession.create(
      { files: provider.files!, entry: 'model.txt' },
      { weightsProvider: provider },
    );
    expect(await run(session)).toEqual(expected());
    const table = server.requests.filter((r) => r.path === 'emb.bin' && r.method === 'GET');
    expect(table.length).toBe(3);
    expect(table.every((r) => r.range !== undefined)).toBe(true);
    expect(provider.stats.http!.bytesDownloaded).toBeLessThan(TABLE_BYTES / 100);
    await session.release();
  });

  it('ram: the whole table once, then rows from memory with no further reads', async () => {
    const { provider, spy } = withFileSpy(new RamProvider({ source: new DiskNoCacheProvider() }));
    const ram = provider as WeightsProvider;
    const session = await InferenceSession.create(await folder(), { weightsProvider: ram });
    expect(await run(session)).toEqual(expected());
    const first = spy().started.length;
    expect(spy().started.find((r) => r.path === 'emb.bin')?.length).toBe(TABLE_BYTES);
    expect(await run(session)).toEqual(expected());
    expect(spy().started.length).toBe(first);
    await session.release();
  });
});
