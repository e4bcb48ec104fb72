/**
 * YOLOv8n (OnnxStream's model.txt export) on each wasm build against OnnxStream's own output, with
 * the tolerances of packages/native/test/yolov8n.test.ts. The streaming weights provider hands each
 * operator its weights and takes them back, so the heap holds only the current operator's weights:
 * its high-water mark stays far below weights + peak activations summed over the model.
 */
import { InferenceSession, Tensor } from '@onnxstream/core';
import { isPackedWeight } from '@onnxstream/core/kernel';
import { closeness, KeepingProvider, readFloat32, runUint8Io, testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmVariant } from '../src/index.js';

const reference = (name: string) => readFloat32(testdata('yolov8n-onnxstream-reference', name));

// The plain build (scalar kernels, ~11 s a run here) runs once; the others twice (the second run
// unpacked: the default provider does not keep the packed weights the engine offers it).
const VARIANTS: WasmVariant[] = ['relaxed', 'threads', 'simd', 'plain'];

describe.each(VARIANTS)('YOLOv8n on the wasm %s build', (variant) => {
  it('matches OnnxStream output0 within rtol 1e-3 / atol 1e-4', async () => {
    const backend = createWasmBackend({ variant, threads: 2 });
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), { backend });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const expected = await reference('synthetic_output0_onnxstream_fp32.f32');
    const runs = variant === 'plain' ? 1 : 2;
    for (let run = 0; run < runs; run++) {
      const { output0 } = await session.run({ images });
      expect(output0.dims).toEqual([1, 84, 8400]);
      expect(closeness(output0.data as Float32Array, expected, 1e-3, 1e-4), `run ${run}`).toBeUndefined();
      output0.dispose();
    }
    const plan = await session.plan(new Map([['images', images]]));
    const others = plan.steps.filter((s) => s.backend.name !== 'wasm').map((s) => s.node.opType);
    const info = backend.kernels().info();
    // Every convolution and activation runs in wasm (shape arithmetic may stay on the reference).
    expect(others.filter((op) => ['Conv', 'Sigmoid', 'Mul', 'Add', 'Concat', 'Split'].includes(op))).toEqual(
      [],
    );
    // Every tensor was freed; what stays is the staging block (the largest operator's inputs from
    // JavaScript memory: here the 4.9 MB input image).
    expect(info.bytesInUse).toBe(info.stagingBytes);
    expect(info.stagingBytes).toBeLessThan(6e6);
    await session.release();
    await backend.dispose?.();
    console.log(
      `YOLOv8n wasm ${variant}: heap ${(info.heapBytes / 2 ** 20).toFixed(1)} MiB, staging ${(info.stagingBytes / 2 ** 20).toFixed(2)} MiB, peak tensors ${(info.bytesPeak / 2 ** 20).toFixed(1)} MiB`,
    );
  });
});

// A caching provider keeps the packed weights the engine offers it: in JavaScript memory, so the
// heap does not hold the model; the second run reads them from there.
describe('YOLOv8n on the wasm simd build with a provider keeping packed weights', () => {
  it('matches OnnxStream output0 from kept packed weights, kept outside the heap', async () => {
    const backend = createWasmBackend({ variant: 'simd' });
    const provider = new KeepingProvider();
    const session = await InferenceSession.create(testdata('yolov8n-onnxstream'), {
      backend,
      weightsProvider: provider,
    });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const expected = await reference('synthetic_output0_onnxstream_fp32.f32');
    for (let run = 0; run < 2; run++) {
      const { output0 } = await session.run({ images });
      expect(closeness(output0.data as Float32Array, expected, 1e-3, 1e-4), `run ${run}`).toBeUndefined();
      output0.dispose();
    }
    const packed = [...provider.kept.values()].filter(isPackedWeight);
    expect(packed.length).toBe(63);
    expect(
      packed.every((t) => !t.ownsMemory && !((t.data as Float32Array).buffer instanceof SharedArrayBuffer)),
    ).toBe(true);
    const info = backend.kernels().info();
    expect(info.bytesInUse).toBe(info.stagingBytes);
    expect(info.heapBytes).toBeLessThan(32 * 2 ** 20);
    await session.release();
    await backend.dispose?.();
  });
});

// Static uint8 activations calibrated on the input itself: the wasm convolutions (3x3 stride-1 ones by
// Winograd) and Adds reading and writing uint8 (loads and stores folded in) give the bits of
// LoadUint8 / StoreUint8 around float32 ones.
describe('YOLOv8n on the wasm simd build with uint8 arithmetic', () => {
  it('gives the same bits with the uint8 loads and stores folded into the operators', async () => {
    const backend = createWasmBackend({ variant: 'simd' });
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const { folded, unfolded } = await runUint8Io(backend, testdata('yolov8n-onnxstream'), [{ images }], {
      images,
    });
    expect(folded.outputs.output0).toEqual(unfolded.outputs.output0);
    const r32 = await reference('synthetic_output0_onnxstream_fp32.f32');
    // Boxes within W8A8's bound of OnnxStream's float32 ones, as on the native backend (measured
    // here: 1.92 px mean error).
    let error = 0;
    for (let i = 0; i < 4 * 8400; i++) error += Math.abs(folded.outputs.output0[i] - r32[i]) / (4 * 8400);
    expect(error).toBeLessThan(3);
    expect(folded.peakTensorBytes).toBeLessThan(unfolded.peakTensorBytes);
    await backend.dispose?.();
  });
});
