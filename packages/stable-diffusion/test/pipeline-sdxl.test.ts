/**
 * SDXL / Turbo conditioning and UNet feeds, with stand-in models behind the runner seam whose outputs
 * say where each value came from: two text encoders' penultimate states concatenated, encoder 2's
 * pooled output and 0-padded ids, time ids, guidance, Turbo's single branch. (pipeline-sdxl-models
 * runs the real architectures.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asNumbers, Tensor } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelRunner, type ModelRunnerFactory, StableDiffusionPipeline } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-xl-'));
  for (const c of ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder']) {
    await mkdir(join(dir, c), { recursive: true });
    await writeFile(join(dir, c, 'model.onnx'), '');
  }
  await mkdir(join(dir, 'tokenizer'));
  const { copyFile } = await import('node:fs/promises');
  await copyFile(testdata('clip', 'vocab.json'), join(dir, 'tokenizer', 'vocab.json'));
  await copyFile(testdata('clip', 'merges.txt'), join(dir, 'tokenizer', 'merges.txt'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const W1 = 4;
const W2 = 5;

/** hidden_states.k[t][c] = id_t / 1e5 + k + c / 100 (+ 50 for encoder 2); pooled = first 3 values of the last state. */
function textEncoder(width: number, layers: number, offset: number, seen: number[][]): ModelRunner {
  const names = Array.from({ length: layers + 1 }, (_, k) => `hidden_states.${k}`);
  return {
    inputs: [{ name: 'input_ids', type: 'int64', shape: [1, 77] }],
    outputs: [{ name: offset ? 'text_embeds' : 'last_hidden_state' }, ...names.map((name) => ({ name }))],
    async run(feedsList, options = {}) {
      return feedsList.map((f) => {
        const ids = Array.from(asNumbers(f.input_ids));
        seen.push(ids);
        const state = (k: number) =>
          new Tensor(
            'float32',
            Float32Array.from(
              { length: 77 * width },
              (_, i) => ids[Math.floor(i / width)] / 1e5 + k + (i % width) / 100 + offset,
            ),
            [1, 77, width],
          );
        const out: Record<string, Tensor> = {};
        for (const n of options.outputs ?? []) {
          if (n === 'text_embeds') out[n] = new Tensor('float32', Float32Array.of(ids[1], 2, 3), [1, 3]);
          else out[n] = state(Number(n.split('.')[1]));
        }
        return out;
      });
    },
    release: async () => {},
  };
}

function fakes() {
  const ids1: number[][] = [];
  const ids2: number[][] = [];
  const unetFeeds: Record<string, Tensor>[][] = [];
  const factory: ModelRunnerFactory = async (_model, _settings, component) => {
    if (component === 'text_encoder') return textEncoder(W1, 3, 0, ids1);
    if (component === 'text_encoder_2') return textEncoder(W2, 4, 50, ids2);
    if (component === 'unet')
      return {
        inputs: [
          { name: 'sample', type: 'float32', shape: [1, 4, 'h', 'w'] },
          { name: 'timestep', type: 'float32', shape: [1] },
          { name: 'encoder_hidden_states', type: 'float32', shape: [1, 77, W1 + W2] },
          { name: 'text_embeds', type: 'float32', shape: [1, 3] },
          { name: 'time_ids', type: 'float32', shape: [1, 6] },
        ],
        outputs: [{ name: 'out_sample' }],
        async run(feedsList) {
          unetFeeds.push([...feedsList]);
          return feedsList.map((f) => ({
            out_sample: new Tensor(
              'float32',
              (f.sample.data as Float32Array).map((v) => v * 0.1),
              [...f.sample.dims],
            ),
          }));
        },
        release: async () => {},
      };
    return {
      inputs: [{ name: 'latent_sample', type: 'float32' }],
      outputs: [{ name: 'sample' }],
      async run(feedsList) {
        return feedsList.map((f) => {
          const [, , h, w] = f.latent_sample.dims;
          return { sample: new Tensor('float32', new Float32Array(3 * 64 * h * w), [1, 3, 8 * h, 8 * w]) };
        });
      },
      release: async () => {},
    };
  };
  return { factory, ids1, ids2, unetFeeds };
}

describe('SDXL pipeline feeds', () => {
  it('concatenates penultimate states, uses pooled embeds, size time ids, and guidance', async () => {
    const f = fakes();
    const pipe = await StableDiffusionPipeline.load(dir, { runnerFactory: f.factory, fp16: false });
    expect(pipe.kind).toBe('sdxl');
    expect(pipe.defaultSize).toEqual({ width: 1024, height: 1024 });
    await expect(pipe.generate({ prompt: 'x', width: 96, height: 64 })).rejects.toThrow(/multiple of 64/);
    const r = await pipe.generate({
      prompt: 'a cat',
      negativePrompt: 'dog',
      width: 128,
      height: 64,
      steps: 2,
      seed: 1,
    });
    expect([r.images[0].width, r.images[0].height]).toEqual([128, 64]);
    // [negative, positive] chunks through both encoders; encoder 2 ids padded with 0 after EOS.
    expect(f.ids1.map((ids) => ids.slice(0, 4))).toEqual([
      [49406, 1929, 49407, 49407],
      [49406, 320, 2368, 49407],
    ]);
    expect(f.ids2[1].slice(0, 5)).toEqual([49406, 320, 2368, 49407, 0]);
    // 2 steps x (negative, positive): one UNet run per guidance branch.
    expect(f.unetFeeds.map((feeds) => feeds.length)).toEqual([1, 1, 1, 1]);
    const [[neg], [pos]] = f.unetFeeds;
    expect(pos.encoder_hidden_states.dims).toEqual([1, 77, 9]);
    const ctx = pos.encoder_hidden_states.data as Float32Array;
    // Row 1 (token 'a' = 320): encoder 1 hidden_states.2 (of 3 layers) then encoder 2 hidden_states.3 (of 4).
    expect(ctx[9]).toBeCloseTo(320 / 1e5 + 2, 5);
    expect(ctx[9 + 4]).toBeCloseTo(320 / 1e5 + 3 + 50, 4);
    expect(Array.from(pos.text_embeds.data as Float32Array)).toEqual([320, 2, 3]);
    expect(Array.from(neg.text_embeds.data as Float32Array)).toEqual([1929, 2, 3]);
    expect(Array.from(pos.time_ids.data as Float32Array)).toEqual([64, 128, 0, 0, 64, 128]);
    expect(pos.sample.dims).toEqual([1, 4, 8, 16]);

    const g = fakes();
    const pipe2 = await StableDiffusionPipeline.load(dir, { runnerFactory: g.factory, fp16: false });
    await pipe2.generate({
      prompt: 'a cat',
      width: 64,
      height: 64,
      steps: 1,
      timeIds: 'onnxstream',
      skipDecode: true,
    });
    expect(Array.from(g.unetFeeds[0][0].time_ids.data as Float32Array)).toEqual([
      1024, 1024, 0, 0, 1024, 1024,
    ]);
  });

  it('Turbo: no negative prompt, one UNet branch, 512x512 default, multiples of 8', async () => {
    const f = fakes();
    const pipe = await StableDiffusionPipeline.load(dir, {
      kind: 'sdxl-turbo',
      runnerFactory: f.factory,
      fp16: false,
    });
    expect(pipe.defaultSize).toEqual({ width: 512, height: 512 });
    const r = await pipe.generate({
      prompt: 'a cat',
      negativePrompt: 'dog',
      cfg: 5,
      width: 72,
      height: 40,
      steps: 1,
    });
    expect(r.images[0].width).toBe(72);
    expect(f.ids1).toHaveLength(1);
    expect(f.unetFeeds).toEqual([[expect.anything()]]);
  });
});
