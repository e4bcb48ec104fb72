import '../src/register.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { convertOnnxFile } from '@onnxstream/core/onnx';
import { HoldingProvider, testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from './helpers.js';

const ultraface = testdata('models', 'ultraface-rfb-320', 'version-RFB-320.onnx');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-native-per-channel-'));
  await convertOnnxFile(ultraface, join(dir, 'f32'), {});
  await convertOnnxFile(ultraface, join(dir, 'u8'), { uint8: true });
  await convertOnnxFile(ultraface, join(dir, 'pc'), { uint8PerChannel: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const image = tensor([1, 3, 240, 320], 11, -1, 1);
const data = (o: Record<string, Tensor>) => Array.from(o.scores.data as Float32Array);

describe('per-channel uint8 weights on the native backend', () => {
  it('UltraFace: closer to float32 than per-tensor uint8, read whole, by rows or kept', async () => {
    const run = async (folder: string, options: object = {}) => {
      const s = await InferenceSession.create(join(dir, folder), { backend: 'native', ...options });
      return data(await s.run({ input: image }));
    };
    const exact = await run('f32');
    const error = (got: number[]) => Math.max(...got.map((v, i) => Math.abs(v - exact[i])));
    const perChannel = await run('pc');
    // Measured: scores (probabilities) within 0.036 of float32 per channel, 0.078 per tensor.
    expect(error(perChannel)).toBeLessThan(0.05);
    expect(error(await run('u8'))).toBeGreaterThan(2 * error(perChannel));
    // Convolution weights from 2 KiB read 1 KiB of output channels at a time (their rows'
    // parameters), and a provider that keeps the dequantised weights (replayed runs): same bits.
    const sliced = await InferenceSession.create(join(dir, 'pc'), {
      backend: 'native',
      weightSliceBytes: 1024,
    });
    const plan = await sliced.plan(new Map([['input', image]]));
    expect(plan.steps.filter((s) => s.slices).length).toBeGreaterThan(10);
    expect(data(await sliced.run({ input: image }))).toEqual(perChannel);
    const kept = await InferenceSession.create(join(dir, 'pc'), {
      backend: 'native',
      weightsProvider: new HoldingProvider(),
    });
    await kept.run({ input: image });
    expect(data(await kept.run({ input: image }))).toEqual(perChannel);
    expect(kept.lastRunStats!.replayed).toBeDefined();
  });

  it('UltraFace under uint8 arithmetic (W8A8, calibrated): closer to float32 than per-tensor weights', async () => {
    // Smooth patterns (calibrating on uniform noise, the activations' quantisation hides the weights').
    const input = (seed: number) =>
      new Tensor(
        'float32',
        Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => Math.sin(i * 0.37 + seed) * 0.8),
        [1, 3, 240, 320],
      );
    const exact = data(
      await (await InferenceSession.create(join(dir, 'f32'), { backend: 'native' })).run({ input: input(9) }),
    );
    const error = async (folder: string) => {
      const calibration = await InferenceSession.create(join(dir, folder), { backend: 'native' });
      const rangeData = await calibration.calibrate([1, 2, 3].map((seed) => ({ input: input(seed) })));
      const s = await InferenceSession.create(join(dir, folder), {
        backend: 'native',
        uint8Arithmetic: true,
        rangeData,
      });
      const got = data(await s.run({ input: input(9) }));
      return Math.max(...got.map((v, i) => Math.abs(v - exact[i])));
    };
    // Measured: scores 0.016 off float32 with per-channel weights, 0.174 with per-tensor ones.
    const perChannel = await error('pc');
    expect(perChannel).toBeLessThan(0.03);
    expect(await error('u8')).toBeGreaterThan(5 * perChannel);
  });
});
