import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { readFloat32, testdata } from '../src/testing/index.js';

describe('YOLOv8n (OnnxStream model folder) on the reference backend', () => {
  it('matches OnnxStream output0 within rtol 1e-3 / atol 1e-4', async () => {
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'));
    expect(session.inputNames).toEqual(['images']);
    expect(session.outputNames).toEqual(['output0']);
    const images = new Tensor(
      'float32',
      await readFloat32(testdata('yolov8n-onnxstream-reference/synthetic_input_images.f32')),
      [1, 3, 640, 640],
    );
    const { output0 } = await session.run({ images });
    expect(output0.dims).toEqual([1, 84, 8400]);
    const ref = await readFloat32(
      testdata('yolov8n-onnxstream-reference/synthetic_output0_onnxstream_fp32.f32'),
    );
    const got = output0.data as Float32Array;
    let worst = 0;
    let bad = 0;
    for (let i = 0; i < ref.length; i++) {
      const err = Math.abs(got[i] - ref[i]);
      const tol = 1e-4 + 1e-3 * Math.abs(ref[i]);
      if (err > tol) bad++;
      worst = Math.max(worst, err / tol);
    }
    expect(bad, `worst error is ${worst.toFixed(2)}x the tolerance`).toBe(0);
    expect(session.lastRunStats!.peakTensorBytes).toBeGreaterThan(0);
    await session.release();
  });
});
