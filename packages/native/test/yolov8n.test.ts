import '../src/register.js';
import {
  InferenceSession,
  type ModelFiles,
  Tensor,
  type WeightRef,
  type WeightsProvider,
  weightTensor,
} from '@onnxstream/core';
import { closeness, readFloat32, testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { isPackedWeight } from '../src/ops/gemm.js';

const reference = (name: string) => readFloat32(testdata('yolov8n-onnxstream-reference', name));

/** Reads each weight once and keeps the form the engine offers back (packed panels), like the RAM provider. */
class KeepingProvider implements WeightsProvider {
  readonly name = 'keeping';
  readonly kept = new Map<string, Tensor>();
  #files: ModelFiles | undefined;
  init(files: ModelFiles): void {
    this.#files = files;
  }
  async get(ref: WeightRef): Promise<Tensor> {
    return (
      this.kept.get(ref.name) ??
      weightTensor(ref, await this.#files!.read(ref.file, ref.offset, ref.byteLength))
    );
  }
  update(ref: WeightRef, converted: Tensor): boolean {
    this.kept.set(ref.name, converted);
    return true;
  }
}

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
