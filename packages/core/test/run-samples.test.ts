import { describe, expect, it } from 'vitest';
import { InferenceSession, MemoryFiles, Tensor, type WeightRef, weightTensor } from '../src/index.js';

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const W1 = Array.from({ length: 32 }, (_, i) => (i % 5) - 2);
const W2 = Array.from({ length: 32 }, (_, i) => i / 8);
const MODEL =
  'm:Mul*input:x(32);w1.bin(float32:32)*output:p(32)\na:Add*input:p(32);w2.bin(float32:32)*output:y(32)\n';

function session() {
  const files = new MemoryFiles([
    ['model.txt', new TextEncoder().encode(MODEL)],
    ['w1.bin', f32(W1)],
    ['w2.bin', f32(W2)],
  ]);
  const requests: string[] = [];
  return {
    requests,
    create: () =>
      InferenceSession.create(
        { files, entry: 'model.txt' },
        {
          backend: 'reference',
          weightsProvider: {
            name: 'counting',
            get: async (ref: WeightRef) => {
              requests.push(ref.name);
              return weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength));
            },
          },
        },
      ),
  };
}

const x = (k: number) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: 32 }, (_, i) => i - k),
    [32],
  );

describe('runSamples', () => {
  it('reads each weight once for all samples and returns what separate runs return', async () => {
    const s = session();
    const model = await s.create();
    const results = await model.runSamples([{ x: x(0) }, { x: x(3) }, { x: x(7) }]);
    expect(s.requests).toEqual(['w1.bin', 'w2.bin']);
    for (const [k, shift] of [0, 3, 7].entries()) {
      const expected = Array.from({ length: 32 }, (_, i) => (i - shift) * W1[i] + W2[i]);
      expect([...(results[k].y.data as Float32Array)]).toEqual(expected);
    }
    // The peak is at the Mul, as for one sample (x, p and both weights, 128 bytes each), plus the two
    // other samples' feeds, still waiting for their turn at it.
    const batchPeak = model.lastRunStats!.peakTensorBytes;
    await model.run({ x: x(0) });
    expect(model.lastRunStats!.peakTensorBytes).toBe(4 * 128);
    expect(batchPeak).toBe(6 * 128);
    await model.release();
  });

  it('refuses samples of different shapes, naming the sample', async () => {
    const s = session();
    const model = await s.create();
    await expect(
      model.runSamples([{ x: x(0) }, { x: new Tensor('float32', new Float32Array(16), [16]) }]),
    ).rejects.toThrow(/input 'x'|feeds 1 differ/);
    await expect(model.runSamples([])).rejects.toThrow(/at least one set of feeds/);
  });
});
