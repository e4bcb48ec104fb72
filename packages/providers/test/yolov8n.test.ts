import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor, type WeightsProvider } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { DiskNoCacheProvider, DiskPrefetchProvider, RamProvider } from '../src/index.js';
import { testdata } from './helpers.js';

async function readImages(): Promise<Tensor> {
  const bytes = await readFile(testdata('yolov8n-onnxstream-reference/synthetic_input_images.f32'));
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return new Tensor('float32', data, [1, 3, 640, 640]);
}

/** output0, and the byte size of the largest streamed weight. */
async function runYolo(images: Tensor, weightsProvider?: WeightsProvider): Promise<[Float32Array, number]> {
  const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), { weightsProvider });
  try {
    const { output0 } = await session.run({ images });
    expect(output0.dims).toEqual([1, 84, 8400]);
    const largest = Math.max(...[...session.graph.weights.values()].map((w) => w.byteLength));
    return [output0.data as Float32Array, largest];
  } finally {
    await session.release();
  }
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe('YOLOv8n through each provider', () => {
  it('gives output0 bit-identical to the default provider', { timeout: 600_000 }, async () => {
    const images = await readImages();
    const [reference, largest] = await runYolo(images);

    const prefetch = new DiskPrefetchProvider();
    const nocache = new DiskNoCacheProvider();
    const ram = new RamProvider();
    for (const provider of [prefetch, nocache, ram]) {
      const [output] = await runYolo(images, provider);
      expect(firstDifference(output, reference), provider.name).toBe(-1);
    }
    // One run, in order: every request was served by read-ahead within 1 MiB plus one weight.
    const s = prefetch.stats;
    expect(s.misses).toBe(0);
    expect(s.hits).toBe(nocache.stats.reads);
    expect(s.bytesRead).toBe(nocache.stats.bytesRead);
    expect(s.peakHeldBytes).toBeGreaterThan(1024 * 1024);
    expect(s.peakHeldBytes).toBeLessThanOrEqual(1024 * 1024 + largest);
  });
});
