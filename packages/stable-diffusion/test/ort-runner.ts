/**
 * onnxruntime-node behind the pipeline's runner seam, for tests that compare every stage of the
 * pipeline between engines on the same graphs, a traced generation and the comparison helpers.
 */
import { Tensor } from '@onnxstream/core';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import {
  type GenerateOptions,
  type ModelRunner,
  type ModelRunnerFactory,
  type PipelineLoadOptions,
  type ProgressEvent,
  StableDiffusionPipeline,
  type TextConditioning,
} from '../src/index.js';
import { onnxSourceOf } from '../src/pipeline/fixtures.js';

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims]);
}

/** onnxruntime-node as the pipeline's model runner (a fixture's OnnxStream folders run their source .onnx). */
export const ortFactory: ModelRunnerFactory = async (model) => {
  const path = model.format === 'onnx' ? model.path : onnxSourceOf(model.path);
  const s = await ort.InferenceSession.create(path);
  const meta = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
    m.map((v) => ({
      name: v.name,
      type: v.isTensor ? v.type : undefined,
      shape: v.isTensor ? v.shape.map((d) => (typeof d === 'number' ? d : 0)) : undefined,
    }));
  const runner: ModelRunner = {
    inputs: meta(s.inputMetadata),
    outputs: meta(s.outputMetadata),
    async run(feedsList, options = {}) {
      const out: Record<string, Tensor>[] = [];
      for (const feeds of feedsList) {
        const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
        const names = options.outputs ?? Object.keys(r);
        out.push(
          Object.fromEntries(
            names.map((n) => [
              n,
              new Tensor('float32', (r[n].data as Float32Array).slice(), r[n].dims as number[]),
            ]),
          ),
        );
      }
      return out;
    },
    release: () => s.release(),
  };
  return runner;
};

/** max |a - b| (and the lengths agree). */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |a|. */
export function scale(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** What a traced generation saw: conditionings, every UNet evaluation, progress events. */
export interface Capture {
  text: TextConditioning[];
  unet: { sigma: number; inputs: Float32Array[]; outputs: Float32Array[] }[];
  events: ProgressEvent[];
}

/**
 * Loads `folder` (float32 arithmetic, `factory` runs the graphs; core's engine when undefined) and
 * generates a 64x64 image in 4 Euler steps with a fixed seed, capturing every stage.
 */
export async function generate(
  folder: string,
  factory: ModelRunnerFactory | undefined,
  extra: Partial<GenerateOptions> = {},
  load: PipelineLoadOptions = {},
) {
  const pipe = await StableDiffusionPipeline.load(folder, { fp16: false, runnerFactory: factory, ...load });
  const cap: Capture = { text: [], unet: [], events: [] };
  const result = await pipe.generate({
    // No emphasis here: its mean-restoring rescale divides by the mean of a tiny random model's
    // layer-normed output, which is close to 0 and amplifies last-bit differences between engines.
    prompt: 'a red car on a road',
    negativePrompt: 'ugly',
    width: 64,
    height: 64,
    steps: 4,
    seed: 42,
    sampler: 'euler',
    onProgress: (e) => cap.events.push(e),
    trace: {
      onText: (c) => cap.text.push(...c),
      onUnet: (e) => cap.unet.push({ sigma: e.sigma, inputs: e.inputs, outputs: e.outputs }),
    },
    ...extra,
  });
  return { result, cap, pipe };
}
