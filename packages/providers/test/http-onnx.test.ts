/**
 * A plain .onnx file (weights inside it, not one file each) served over HTTP: the weights the
 * provider reads ahead together come in few Range requests, not one per weight.
 */
import { InferenceSession, Tensor, type WeightsProvider } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskPrefetchProvider, HttpProvider } from '../src/index.js';
import { testdata } from './helpers.js';
import { TestServer } from './http-server.js';

const DIR = testdata('models', 'ultraface-rfb-320');
const FILE = 'version-RFB-320.onnx';
let server: TestServer | undefined;
afterAll(() => server?.stop());

function input(): Tensor {
  const data = new Float32Array(3 * 240 * 320);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 256) / 255;
  return new Tensor('float32', data, [1, 3, 240, 320]);
}

/** The session's outputs, and the requests for the model file made by its run (not by its loading). */
async function run(source: Parameters<typeof InferenceSession.create>[0], provider: WeightsProvider) {
  const session = await InferenceSession.create(source, { weightsProvider: provider, backend: 'reference' });
  const before = server?.requests.length ?? 0;
  try {
    const out = await session.run({ input: input() });
    const outputs = Object.fromEntries(
      Object.entries(out).map(([k, t]) => [k, Array.from(t.data as Float32Array)]),
    );
    return { outputs, requests: server?.requests.slice(before) ?? [] };
  } finally {
    await session.release();
  }
}

describe('an .onnx file over HTTP', () => {
  it('reads the 87 weights of UltraFace in two Range requests and computes what the disk run does', async () => {
    server = await new TestServer({ dir: DIR }).start();
    const provider = new HttpProvider({ url: server.url });
    const overHttp = await run({ files: provider.files!, entry: FILE }, provider);
    // 87 weights (1.2 MB, within the provider's 8 MiB read-ahead), in spans of at most 1 MiB.
    expect(provider.stats.hits + provider.stats.misses).toBe(87);
    expect(provider.stats.reads).toBe(2);
    expect(overHttp.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', FILE],
      ['GET', FILE],
    ]);
    expect(overHttp.requests.every((r) => r.range !== undefined)).toBe(true);
    const fromDisk = await run(`${DIR}/${FILE}`, new DiskPrefetchProvider());
    expect(overHttp.outputs).toEqual(fromDisk.outputs);
  }, 60_000);
});
