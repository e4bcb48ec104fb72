import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { isPackedWeight } from '@onnxstream/core/kernel';
import { closeness, KeepingProvider, readFloat32, runUint8Io, testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';

const reference = (name: string) => readFloat32(testdata('yolov8n-onnxstream-reference', name));

// Every convolution runs the native GEMM (packed weights, SiLU in the epilogue) on each ISA this
// machine runs; the second run takes the packed weights the provider kept.
describe.each(nativeInfo().isas)('YOLOv8n on the native backend, %s', (isa) => {
  it('matches OnnxStream output0 within rtol 1e-3 / atol 1e-4, also from kept packed weights', async () => {
    useIsa(isa);
    const provider = new KeepingProvider();
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), {
      backend: 'native',
      weightsProvider: provider,
    });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const expected = await reference('synthetic_output0_onnxstream_fp32.f32');
    for (let run = 0; run < 2; run++) {
      const { output0 } = await session.run({ images });
      expect(output0.dims).toEqual([1, 84, 8400]);
      expect(closeness(output0.data as Float32Array, expected, 1e-3, 1e-4), `run ${run}`).toBeUndefined();
    }
    // 64 convolutions; the DFL head's 16-value weight is a constant, not a streamed weight.
    expect([...provider.kept.values()].filter(isPackedWeight).length).toBe(63);
    await session.release();
  });
});

const BOXES = 4 * 8400;
const mae = (a: Float32Array, b: Float32Array, from: number, to: number) => {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.abs(a[i] - b[i]);
  return s / (to - from);
};

// float16 arithmetic: convolutions and elementwise operators read and write float16, the others run
// in float32 between casts; each operator computes in float32 and its result is rounded to float16
// like OnnxStream's fp16 mode; no operator falls back to the reference.
describe('YOLOv8n on the native backend with fp16 arithmetic', () => {
  it('matches OnnxStream run with fp16 arithmetic, every computing operator native', async () => {
    useIsa(nativeInfo().isas.at(-1)!);
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), {
      backend: 'native',
      fp16Arithmetic: true,
    });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const { output0 } = await session.run({ images });
    const got = output0.data as Float32Array;
    const r16 = await reference('synthetic_output0_onnxstream_fp16arith.f32');
    const r32 = await reference('synthetic_output0_onnxstream_fp32.f32');
    // The same bounds as the reference backend's fp16 test (packages/core/test/yolov8n.test.ts).
    expect(closeness(got.subarray(0, BOXES), r16.subarray(0, BOXES), 5e-3, 1)).toBeUndefined();
    // Scores against the reference backend's fp16 run under those bounds: convolutions now read
    // float16 weights (not float32 ones between casts) and sum in another order than the reference,
    // and results rounded to float16 after each of the 60 layers drift apart by a few fp16 steps, so
    // against OnnxStream's run (whose XNNPACK kernels round inside the dot products too) one score
    // of 672000 ends 1.4 times the bound away (the reference's worst: 0.73 of it).
    const spec = await InferenceSession.create(testdata('yolov8n-onnxstream'), {
      backend: 'reference',
      fp16Arithmetic: true,
    });
    const want = (await spec.run({ images })).output0.data as Float32Array;
    await spec.release();
    expect(closeness(got.subarray(BOXES), want.subarray(BOXES), 0, 2e-3)).toBeUndefined();
    // It really went through float16: float32 runs are within 1e-4 of OnnxStream's fp32 boxes on
    // average (5e-5 here), rounding every result to float16 moves them by about 0.09. OnnxStream's
    // XNNPACK kernels also round inside the dot products; ours accumulate in float32, so the result
    // sits between its fp16 and fp32 runs, no farther from the former.
    expect(mae(got, r32, 0, BOXES)).toBeGreaterThan(0.01);
    expect(mae(got, r16, 0, BOXES)).toBeLessThanOrEqual(mae(got, r32, 0, BOXES));
    // The plan for the float16 feed the session makes of the float32 images.
    const half = new Tensor('float16', new Uint16Array(images.size), images.dims);
    const plan = await session.plan(new Map([['images', half]]));
    // Only the zero-copy Reshapes stay with the reference backend, as in float32.
    expect(new Set(plan.steps.filter((s) => s.backend.name !== 'native').map((s) => s.node.opType))).toEqual(
      new Set(['Reshape']),
    );
    // Every operator reads and writes float16 itself: no Cast steps (planner/upcast.ts), where data
    // movement, pooling, Resize and the DFL's Softmax took 115 between them.
    expect(plan.steps.filter((s) => s.node.opType === 'Cast')).toEqual([]);
    // Without float32 copies, the peak is the float16 half of float32's (the first convolution's
    // input and output), 0.91 of it when those operators ran in float32 between Casts.
    const fp32 = await InferenceSession.create(testdata('yolov8n-onnxstream'), { backend: 'native' });
    await fp32.run({ images });
    expect(session.lastRunStats!.peakTensorBytes).toBeLessThan(0.51 * fp32.lastRunStats!.peakTensorBytes);
    await fp32.release();
    await session.release();
  });
});

// Held activations (C2f concatenation inputs, the FPN's skip connections) stored compressed.
describe('YOLOv8n on the native backend with compressed activation storage', () => {
  async function run(options: { fp16Storage?: boolean; uint8Storage?: boolean }) {
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), {
      backend: 'native',
      ...options,
    });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const { output0 } = await session.run({ images });
    const peak = session.lastRunStats!.peakTensorBytes;
    await session.release();
    return { y: output0.data as Float32Array, peak };
  }

  it('fp16Storage within rtol 1e-2 of fp32, uint8Storage within its measured bounds, peaks no higher', async () => {
    const r32 = await reference('synthetic_output0_onnxstream_fp32.f32');
    const plain = await run({});
    const half = await run({ fp16Storage: true });
    const q8 = await run({ uint8Storage: true });
    // Boxes (pixels, up to 640) within 1e-2 relative plus 1 px absolute; class scores within 2e-3.
    expect(closeness(half.y.subarray(0, BOXES), r32.subarray(0, BOXES), 1e-2, 1)).toBeUndefined();
    expect(closeness(half.y.subarray(BOXES), r32.subarray(BOXES), 0, 2e-3)).toBeUndefined();
    // uint8 (256 levels per tensor, 0.1 % clipped at each end) on every held activation: measured
    // here 1.38 px mean box error and 0.057 worst score error; bounds with margin across ISAs.
    expect(mae(q8.y, r32, 0, BOXES)).toBeLessThan(2.5);
    expect(closeness(q8.y.subarray(BOXES), r32.subarray(BOXES), 0, 0.1)).toBeUndefined();
    // YOLOv8n's peak is its first convolution (the input image and a 16x320x320 output), before
    // anything is held, so storage modes cannot lower it; they must not raise it.
    expect(half.peak).toBeLessThanOrEqual(plain.peak);
    expect(q8.peak).toBeLessThanOrEqual(plain.peak);
  });
});

// Static uint8 activations calibrated on the input itself: the convolutions and Adds reading and
// writing uint8 (loads and stores folded in) give the bits of LoadUint8 / StoreUint8 around float32 ones.
describe('YOLOv8n on the native backend with uint8 arithmetic', () => {
  it('gives the same bits with the uint8 loads and stores folded into the operators', async () => {
    useIsa(nativeInfo().isas.at(-1)!);
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const { folded, unfolded } = await runUint8Io('native', testdata('yolov8n-onnxstream'), [{ images }], {
      images,
    });
    expect(folded.outputs.output0).toEqual(unfolded.outputs.output0);
    // Within W8A8's bound of OnnxStream's float32 output (measured here: 1.93 px mean box error).
    const r32 = await reference('synthetic_output0_onnxstream_fp32.f32');
    expect(mae(folded.outputs.output0, r32, 0, BOXES)).toBeLessThan(3);
    const loads = (plan: typeof folded.plan) =>
      plan.steps.filter((s) => s.node.opType === 'LoadUint8').length;
    // 42 of the 64 convolutions read a stored value directly (the others the image or a Concat's
    // float output), and so do the 7 bottleneck Adds (9 inputs; the others are Split outputs).
    expect(loads(unfolded.plan) - loads(folded.plan)).toBe(51);
    expect(folded.plan.steps.filter((s) => s.node.opType === 'Uint8ChannelBlocks').length).toBe(7);
    // Its peak is the first convolution, whose float input is the image: the fold lowers it by
    // writing that convolution's 16x320x320 output as uint8 (measured 10.2 MB against 11.5).
    expect(folded.peakTensorBytes).toBeLessThan(unfolded.peakTensorBytes);
  });
});
