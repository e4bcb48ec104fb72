import { readFile } from 'node:fs/promises';
import { InferenceSession, type ModelFiles, Tensor, type WeightsProvider } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryStore, DiskPrefetchProvider, HttpProvider } from '../src/index.js';
import { TempDirs, testdata } from './helpers.js';
import { TestServer } from './http-server.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

async function readImages(): Promise<Tensor> {
  const bytes = await readFile(testdata('yolov8n-onnxstream-reference/synthetic_input_images.f32'));
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return new Tensor('float32', data, [1, 3, 640, 640]);
}

async function runYolo(
  source: string | { files: ModelFiles; entry: string },
  images: Tensor,
  weightsProvider: WeightsProvider,
): Promise<Float32Array> {
  const session = await InferenceSession.create(source, { weightsProvider });
  try {
    const { output0 } = await session.run({ images });
    return output0.data as Float32Array;
  } finally {
    await session.release();
  }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

/** A stable pseudo-random choice per path, so about one file in `every` gets a fault. */
function picked(path: string, every: number): boolean {
  let h = 0;
  for (const c of path) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % every === 0;
}

describe('YOLOv8n over HTTP', () => {
  it('matches the disk provider bit for bit, despite faults, and a second visit downloads nothing', {
    timeout: 300_000,
  }, async () => {
    const images = await readImages();
    const expected = await runYolo(testdata('yolov8n-onnxstream'), images, new DiskPrefetchProvider());

    // The first visit: some requests fail once (503), some bodies are cut once.
    const server = await new TestServer({
      dir: testdata('yolov8n-onnxstream'),
      fault: (r) => {
        if (r.n !== 1) return undefined;
        if (picked(r.path, 7)) return { status: 503 };
        if (r.method === 'GET' && picked(r.path, 5)) return { truncateAt: 1000 };
        return undefined;
      },
    }).start();
    try {
      const cache = new DirectoryStore(await dirs.make());
      const first = new HttpProvider({ url: `${server.url}`, cache, retryDelayMs: 1, maxRetryDelayMs: 5 });
      const output = await runYolo({ files: first.files!, entry: 'model.txt' }, images, first);
      expect(sameBits(output, expected)).toBe(true);
      const http = first.stats.http!;
      expect(http.retries).toBeGreaterThan(10);
      expect(http.peakInFlight).toBeLessThanOrEqual(6);
      expect(first.stats.misses).toBe(0);
      expect(server.count((r) => r.path.endsWith('.bin') && r.method === 'GET')).toBeGreaterThan(60);

      // The second visit: new provider and files, same persistent cache.
      server.reset();
      const second = new HttpProvider({ url: server.url, cache });
      const again = await runYolo({ files: second.files!, entry: 'model.txt' }, images, second);
      expect(sameBits(again, expected)).toBe(true);
      expect(server.requests).toEqual([]);
      expect(second.stats.http?.bytesDownloaded).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
