import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { closeness, readFloat32, testdata } from '../src/testing/index.js';

const reference = (name: string) => readFloat32(testdata('yolov8n-onnxstream-reference', name));
const BOXES = 4 * 8400; // rows 0-3 of output0 are box coordinates in pixels, the rest class scores

async function run(options: { fp16Arithmetic?: boolean } = {}): Promise<Float32Array> {
  const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), options);
  expect(session.inputNames).toEqual(['images']);
  expect(session.outputNames).toEqual(['output0']);
  const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
  const { output0 } = await session.run({ images });
  expect(output0.dims).toEqual([1, 84, 8400]);
  expect(output0.type).toBe('float32');
  expect(session.lastRunStats!.peakTensorBytes).toBeGreaterThan(0);
  await session.release();
  return output0.data as Float32Array;
}

const mae = (a: Float32Array, b: Float32Array, from: number, to: number) => {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.abs(a[i] - b[i]);
  return s / (to - from);
};

describe('YOLOv8n (OnnxStream model folder) on the reference backend', () => {
  it('matches OnnxStream output0 within rtol 1e-3 / atol 1e-4', async () => {
    const got = await run();
    expect(
      closeness(got, await reference('synthetic_output0_onnxstream_fp32.f32'), 1e-3, 1e-4),
    ).toBeUndefined();
  });

  it('with fp16 arithmetic matches OnnxStream run with fp16 arithmetic', async () => {
    const got = await run({ fp16Arithmetic: true });
    const r16 = await reference('synthetic_output0_onnxstream_fp16arith.f32');
    const r32 = await reference('synthetic_output0_onnxstream_fp32.f32');
    // Half precision: boxes within two fp16 steps at 512..1024 (1 px) plus 0.5 %; scores within 2e-3,
    // the sigmoid's slope (<= 1/4) times fp16's step (2^-7) on logits of magnitude 8..16.
    expect(closeness(got.subarray(0, BOXES), r16.subarray(0, BOXES), 5e-3, 1)).toBeUndefined();
    expect(closeness(got.subarray(BOXES), r16.subarray(BOXES), 0, 2e-3)).toBeUndefined();
    // And it really computed in half precision: its boxes are nearer OnnxStream's fp16 run than its fp32 run.
    expect(mae(got, r16, 0, BOXES)).toBeLessThan(0.6 * mae(got, r32, 0, BOXES));
  });
});
