import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, WeightsError } from '@onnxstream/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createProvider,
  DirectoryStore,
  HttpModelFiles,
  HttpProvider,
  MemoryStore,
  type PackIndex,
} from '../src/index.js';
import { TempDirs } from './helpers.js';
import { type Fault, type RequestInfo, TestServer } from './http-server.js';
import { TINY_RUN_BYTES, tinyExpected, tinyInput, writeTinyModel } from './tiny-model.js';

const dirs = new TempDirs();
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(() => dirs.cleanup());

async function tinyFolder(): Promise<string> {
  const dir = await dirs.make();
  await writeTinyModel(dir);
  return dir;
}

async function serve(dir: string, fault?: (r: RequestInfo) => Fault | undefined, latencyMs = 0) {
  const server = await new TestServer({ dir, fault, latencyMs }).start();
  servers.push(server);
  return server;
}

/** Fast retries for tests. */
const FAST = { retryDelayMs: 1, maxRetryDelayMs: 5 };

async function runTiny(files: HttpModelFiles, provider = new HttpProvider()): Promise<number[]> {
  const session = await InferenceSession.create({ files, entry: 'model.txt' }, { weightsProvider: provider });
  try {
    const { out } = await session.run({ x: tinyInput() });
    return [...(out.data as Float32Array)];
  } finally {
    await session.release();
  }
}

const isBin = (r: RequestInfo) => r.path.endsWith('.bin');

describe('HttpModelFiles + HttpProvider over a local server', () => {
  it('runs a model folder served over HTTP, weights read ahead in request order', async () => {
    const server = await serve(await tinyFolder());
    const provider = new HttpProvider({ url: server.url, ...FAST });
    expect(await runTiny(provider.files!, provider)).toEqual(tinyExpected());
    const s = provider.stats;
    expect(s.misses).toBe(0);
    expect(s.bytesRead).toBe(TINY_RUN_BYTES);
    expect(s.http?.retries).toBe(0);
    // One plain GET per streamed weight (w1 twice: once per request, as on disk).
    const gets = server.requests.filter((r) => r.method === 'GET' && isBin(r));
    expect(gets.map((r) => r.path).sort()).toEqual(['w1.bin', 'w1.bin', 'w2.bin', 'w3.bin', 'w4.bin']);
    expect(gets.every((r) => r.range === undefined)).toBe(true);
  });

  it("is the 'http' provider of createProvider", () => {
    const p = createProvider('http', { url: 'http://host/models/yolo', lookaheadBytes: 1234 });
    expect(p).toBeInstanceOf(HttpProvider);
    expect((p as HttpProvider).files?.root).toBe('http://host/models/yolo/');
    expect((p as HttpProvider).lookaheadBytes).toBe(1234);
    expect((createProvider('http') as HttpProvider).files).toBeUndefined();
  });

  it('retries 5xx answers and 429 with Retry-After, with backoff', async () => {
    const server = await serve(await tinyFolder(), (r) => {
      if (!isBin(r) || r.method !== 'GET') return undefined;
      if (r.n === 1) return { status: 503 };
      if (r.n === 2) return { status: 429, retryAfter: '0' };
      return undefined;
    });
    const files = new HttpModelFiles(server.url, FAST);
    expect(await runTiny(files)).toEqual(tinyExpected());
    expect(files.stats.retries).toBe(8); // two per weight file, four files
  });

  it('gives up after the configured retries with an error naming the file', async () => {
    const server = await serve(await tinyFolder(), (r) =>
      r.path === 'w3.bin' && r.method === 'GET' ? { status: 502 } : undefined,
    );
    const files = new HttpModelFiles(server.url, { retryDelayMs: 40, maxRetryDelayMs: 1000, retries: 2 });
    const t0 = performance.now();
    await expect(runTiny(files)).rejects.toThrow(
      /cannot download 'w3\.bin' from http:\/\/127\.0\.0\.1:\d+\/ after 3 attempts: GET .*w3\.bin: HTTP 502/,
    );
    expect(server.count((r) => r.path === 'w3.bin' && r.method === 'GET')).toBe(3);
    // Backoff 40 then 80 ms, each with 50-100% jitter.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
  });

  it('retries a truncated body, and fails when it stays truncated', async () => {
    const dir = await tinyFolder();
    const once = await serve(dir, (r) => (isBin(r) && r.n === 1 ? { truncateAt: 40 } : undefined));
    const files = new HttpModelFiles(once.url, FAST);
    expect(await runTiny(files)).toEqual(tinyExpected());
    expect(files.stats.retries).toBe(4);

    const always = await serve(dir, (r) => (r.path === 'w2.bin' ? { truncateAt: 100 } : undefined));
    const broken = new HttpModelFiles(always.url, { ...FAST, retries: 1 });
    await expect(broken.read('w2.bin', 0, 512)).rejects.toThrow(
      /cannot download 'w2\.bin' .* after 2 attempts: the download of .*w2\.bin broke off after 100 of 512 bytes/,
    );
  });

  it('refuses a file whose size differs from the weight, without retrying', async () => {
    const server = await serve(await tinyFolder(), (r) =>
      r.path === 'w4.bin' ? { body: new Uint8Array(132) } : undefined,
    );
    const files = new HttpModelFiles(server.url, FAST);
    await expect(runTiny(files)).rejects.toThrow(
      /integrity check failed for 'w4\.bin': .*w4\.bin has 132 bytes \(Content-Length\), the model expects 128/,
    );
    expect(server.count((r) => r.path === 'w4.bin' && r.method === 'GET')).toBe(1);
    expect(files.stats.retries).toBe(0);
  });

  it('checks declared sizes against Content-Length, and the body itself without it', async () => {
    const dir = await tinyFolder();
    const ok = await serve(dir, (r) => (isBin(r) ? { noLength: true } : undefined));
    expect(await runTiny(new HttpModelFiles(ok.url, FAST))).toEqual(tinyExpected());

    const short = await serve(dir, (r) => (r.path === 'w1.bin' ? { body: new Uint8Array(100) } : undefined));
    const files = new HttpModelFiles(short.url, { ...FAST, retries: 0 });
    files.expectSize('w1.bin', 128);
    await expect(files.read('w1.bin', 0, 128)).rejects.toThrow(
      /'w1\.bin': .*w1\.bin has 100 bytes \(Content-Length\), the model expects 128/,
    );
    const longer = await serve(dir, (r) =>
      r.path === 'w1.bin' ? { body: new Uint8Array(200), noLength: true } : undefined,
    );
    const f2 = new HttpModelFiles(longer.url, { ...FAST, retries: 0 });
    f2.expectSize('w1.bin', 128);
    await expect(f2.read('w1.bin', 0, 128)).rejects.toThrow(/sent more than the 128 bytes expected/);
    const shorter = await serve(dir, (r) =>
      r.path === 'w1.bin' ? { body: new Uint8Array(100), noLength: true } : undefined,
    );
    const f3 = new HttpModelFiles(shorter.url, { ...FAST, retries: 1 });
    f3.expectSize('w1.bin', 128);
    await expect(f3.read('w1.bin', 0, 128)).rejects.toThrow(/after 2 attempts: .*broke off after 100 of 128/);
    // Without a declared size a read from offset 0 may be a prefix: a Range request.
    const f4 = new HttpModelFiles(ok.url, FAST);
    expect((await f4.read('w1.bin', 0, 100)).byteLength).toBe(100);
    expect(ok.requests.at(-1)).toMatchObject({ range: 'bytes=0-99' });
  });

  it('reads parts of files with Range requests, checked against Content-Range', async () => {
    const dir = await tinyFolder();
    const bytes = new Uint8Array(await readFile(join(dir, 'w2.bin')));
    const server = await serve(dir);
    const files = new HttpModelFiles(server.url, FAST);
    expect(await files.read('w2.bin', 100, 50)).toEqual(bytes.subarray(100, 150));
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', range: 'bytes=100-149' });
    // Prefix of a file whose size is known: a Range too.
    expect(await files.size('w2.bin')).toBe(512);
    expect(await files.read('w2.bin', 0, 16)).toEqual(bytes.subarray(0, 16));
    expect(server.requests.at(-1)).toMatchObject({ range: 'bytes=0-15' });
    await expect(files.read('w2.bin', 500, 20)).rejects.toThrow(
      /too short: need bytes 500\.\.520, it has 512/,
    );

    const ignoring = await serve(dir, () => ({ ignoreRange: true }));
    const f2 = new HttpModelFiles(ignoring.url, FAST);
    expect(await f2.read('w2.bin', 100, 50)).toEqual(bytes.subarray(100, 150));

    const shifted = await serve(dir, (r) => (r.range ? { shiftRange: 4 } : undefined));
    const f3 = new HttpModelFiles(shifted.url, FAST);
    await expect(f3.read('w2.bin', 100, 50)).rejects.toThrow(
      /integrity check failed for 'w2\.bin': asked .* for bytes 100-149, the server sent bytes 104-153\/512/,
    );
  });

  it('reports missing files: exists false, size and read reject', async () => {
    const server = await serve(await tinyFolder());
    const files = new HttpModelFiles(server.url, FAST);
    expect(await files.exists('nope.bin')).toBe(false);
    expect(await files.exists('w1.bin')).toBe(true);
    await expect(files.size('nope.bin')).rejects.toThrow(/file 'nope\.bin' not found at http/);
    await expect(files.read('nope.bin', 0, 4)).rejects.toThrow(/file 'nope\.bin' not found at .*HTTP 404/);
  });

  it('never requests a path outside the model folder', async () => {
    const server = await serve(await tinyFolder());
    const files = new HttpModelFiles(`${server.url}models/tiny/`, FAST);
    for (const bad of ['../w1.bin', 'a/../../w1.bin', '/w1.bin', 'C:/w1.bin', '..\\w1.bin']) {
      await expect(files.read(bad, 0, 4), bad).rejects.toThrow(WeightsError);
      await expect(files.read(bad, 0, 4), bad).rejects.toThrow(/refused/);
      expect(await files.exists(bad)).toBe(false);
    }
    expect(server.requests).toEqual([]);
    // Odd but legal names are encoded, never interpreted.
    expect(files.urlOf('a b/%2e%2e/c?.bin')).toBe(`${server.url}models/tiny/a%20b/%252e%252e/c%3F.bin`);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = await serve(await tinyFolder(), undefined, 30);
    const files = new HttpModelFiles(server.url, { ...FAST, concurrency: 3 });
    const reads = Array.from({ length: 12 }, (_, i) => files.read('w2.bin', i * 8, 8));
    await Promise.all(reads);
    expect(server.peakInFlight).toBeLessThanOrEqual(3);
    expect(files.stats.peakInFlight).toBe(3);
    expect(files.stats.requests).toBe(12);
  });

  it('stops on abort', async () => {
    const server = await serve(await tinyFolder(), undefined, 200);
    const abort = new AbortController();
    const files = new HttpModelFiles(server.url, { ...FAST, signal: abort.signal });
    const read = files.read('w1.bin', 0, 128);
    setTimeout(() => abort.abort(), 20);
    await expect(read).rejects.toThrow(/abort/i);
  });

  it('serves a second visit from the persistent cache without any request', async () => {
    const dir = await tinyFolder();
    for (const cache of [new MemoryStore(), new DirectoryStore(await dirs.make())]) {
      const server = await serve(dir);
      const first = new HttpModelFiles(server.url, { ...FAST, cache });
      expect(await runTiny(first)).toEqual(tinyExpected());
      expect(server.requests.length).toBeGreaterThan(0);
      server.reset();
      const progress: boolean[] = [];
      const second = new HttpModelFiles(server.url, {
        ...FAST,
        cache,
        onProgress: (e) => progress.push(e.fromCache),
      });
      expect(await runTiny(second), cache.name).toEqual(tinyExpected());
      expect(server.requests, cache.name).toEqual([]);
      expect(second.stats.bytesDownloaded).toBe(0);
      expect(second.stats.bytesFromCache).toBeGreaterThanOrEqual(TINY_RUN_BYTES);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every(Boolean)).toBe(true);
    }
  });

  it('downloads again when a cached entry is damaged', async () => {
    const server = await serve(await tinyFolder());
    const cache = new MemoryStore();
    const first = new HttpModelFiles(server.url, { ...FAST, cache });
    const good = await first.read('w2.bin', 0, 512);
    await first.flush();
    for (const [k, v] of cache.entries) if (k.includes('w2.bin@')) cache.entries.set(k, v.subarray(0, 10));
    server.reset();
    const second = new HttpModelFiles(server.url, { ...FAST, cache });
    expect(await second.read('w2.bin', 0, 512)).toEqual(good);
    expect(server.count((r) => r.path === 'w2.bin')).toBe(1);
  });

  it('reads a model out of one packed file with Range requests', async () => {
    const dir = await tinyFolder();
    const names = (await readdir(dir)).sort();
    const parts: Uint8Array[] = [];
    const index: Record<string, { offset: number; size: number }> = {};
    let offset = 0;
    for (const name of names) {
      const b = new Uint8Array(await readFile(join(dir, name)));
      index[name] = { offset, size: b.byteLength };
      parts.push(b);
      offset += b.byteLength;
    }
    const pack = new Uint8Array(offset);
    let at = 0;
    for (const b of parts) {
      pack.set(b, at);
      at += b.byteLength;
    }
    const server = await new TestServer({ files: new Map([['models/tiny.pack', pack]]) }).start();
    servers.push(server);
    const files = HttpModelFiles.packed(`${server.url}models/tiny.pack`, index as PackIndex, FAST);
    expect(files.root).toBe(`${server.url}models/tiny.pack`);
    expect(await runTiny(files)).toEqual(tinyExpected());
    expect(server.requests.every((r) => r.path === 'models/tiny.pack' && r.method === 'GET' && r.range)).toBe(
      true,
    );
    expect(await files.exists('nope.bin')).toBe(false);
    await expect(files.read('../tiny.pack', 0, 1)).rejects.toThrow(/refused/);
  });
});
