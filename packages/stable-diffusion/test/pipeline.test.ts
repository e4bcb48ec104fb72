/**
 * End-to-end pipeline tests on tiny SD 1.5 models (real architectures, tiny widths, the real CLIP
 * vocabulary) in diffusers' ONNX layout and OnnxStream's layout (converted with core's converter).
 * Every stage is compared with onnxruntime-node running the same graphs inside the same pipeline code;
 * low-memory (W8A8) decoding and decoder calibration are checked against the engine run directly.
 */
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, parseRangeData, Tensor } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyEmphasis,
  coreRunnerFactory,
  decodeFull,
  decodeTiled,
  type ModelRunner,
  type ModelRunnerFactory,
  SD15_VAE_SCALING_FACTOR,
  StableDiffusionPipeline,
  type TextConditioning,
  tileOrigins,
  tilingApplies,
  toPixels,
  unscaleLatent,
} from '../src/index.js';
import { writeTinySd15 } from '../src/pipeline/fixtures.js';
import { generate, maxAbs, ortFactory, scale } from './ort-runner.js';

let dir: string;
let diffusers: string;
let onnxstream: string;
let long: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-pipeline-'));
  diffusers = await writeTinySd15(join(dir, 'diffusers'), { clipDir: testdata('clip') });
  onnxstream = await writeTinySd15(join(dir, 'onnxstream'), {
    clipDir: testdata('clip'),
    format: 'onnxstream',
    tiledLatent: 4,
  });
  long = await writeTinySd15(join(dir, 'long'), { clipDir: testdata('clip'), contextLength: 154 });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('StableDiffusionPipeline.load', () => {
  it('reads diffusers and OnnxStream folders (also below <dir>/<repo name>)', async () => {
    const d = await StableDiffusionPipeline.load(diffusers, { fp16: false });
    expect(d.layout).toMatchObject({ kind: 'sd15', format: 'diffusers' });
    expect(d.tokenizer.vocabSize).toBe(49408);
    const o = await StableDiffusionPipeline.load(onnxstream, { fp16: false });
    expect(o.layout).toMatchObject({ kind: 'sd15', format: 'onnxstream' });
    expect(o.layout.unet.path).toMatch(/unet_fp16$/);
    expect(o.layout.vaeDecoderQu8?.path).toMatch(/vae_decoder_qu8$/);
    expect(o.layout.vaeDecoderTiled?.path).toMatch(/vae_decoder_fp16_l32$/);
    expect(o.defaultTiled).toBe(true);
    expect(d.defaultTiled).toBe(false);
    const parent = join(dir, 'models-path');
    await mkdir(parent, { recursive: true });
    await symlink(onnxstream, join(parent, 'stable-diffusion-1.5-onnxstream'));
    const below = await StableDiffusionPipeline.load(parent, { fp16: false });
    expect(below.layout.root).toBe(join(parent, 'stable-diffusion-1.5-onnxstream'));
    await expect(StableDiffusionPipeline.load(join(dir, 'nothing'))).rejects.toThrow(
      /no a Stable Diffusion model|no .*model found/,
    );
  });
});

describe('generate: every stage matches onnxruntime-node', () => {
  let ours: Awaited<ReturnType<typeof generate>>;
  let ref: Awaited<ReturnType<typeof generate>>;
  beforeAll(async () => {
    ours = await generate(diffusers, undefined);
    ref = await generate(diffusers, ortFactory);
  }, 300_000);

  it('text embeddings (negative and positive)', () => {
    expect(ours.cap.text).toHaveLength(2);
    for (let k = 0; k < 2; k++) {
      expect(ours.cap.text[k].tokens).toBe(77);
      expect(ours.cap.text[k].width).toBe(32);
      expect(maxAbs(ours.cap.text[k].context, ref.cap.text[k].context)).toBeLessThan(
        1e-4 * scale(ref.cap.text[k].context),
      );
    }
    expect(ours.cap.text[1].ids[0].slice(0, 3)).toEqual([49406, 320, 736]);
  });

  it('each UNet evaluation (uncond and cond), final latents and image', () => {
    expect(ours.cap.unet).toHaveLength(4);
    ours.cap.unet.forEach((u, i) => {
      expect(u.outputs).toHaveLength(2);
      expect(u.sigma).toBe(ref.cap.unet[i].sigma);
      for (let b = 0; b < 2; b++)
        expect(maxAbs(u.outputs[b], ref.cap.unet[i].outputs[b])).toBeLessThan(
          1e-3 * scale(ref.cap.unet[i].outputs[b]),
        );
    });
    expect(ours.result.latents[0]).toHaveLength(4 * 8 * 8);
    expect(maxAbs(ours.result.latents[0], ref.result.latents[0])).toBeLessThan(
      1e-3 * scale(ref.result.latents[0]),
    );
    const img = ours.result.images[0];
    expect([img.width, img.height, img.data.length]).toEqual([64, 64, 64 * 64 * 3]);
    expect(maxAbs(img.data, ref.result.images[0].data)).toBeLessThanOrEqual(1);
  });

  it('reports progress per stage', () => {
    const stages = ours.cap.events.map((e) => `${e.stage}:${e.step}/${e.steps}`);
    expect(stages).toEqual([
      'text:0/2',
      'text:2/2',
      'unet:1/4',
      'unet:2/4',
      'unet:3/4',
      'unet:4/4',
      'vae:1/1',
    ]);
  });

  it('OnnxStream folder (converted: fp16 UNet/VAE weights) stays close to onnxruntime on the diffusers graphs', async () => {
    const os = await generate(onnxstream, undefined);
    for (let k = 0; k < 2; k++)
      expect(maxAbs(os.cap.text[k].context, ref.cap.text[k].context)).toBeLessThan(
        1e-4 * scale(ref.cap.text[k].context),
      );
    expect(maxAbs(os.result.latents[0], ref.result.latents[0])).toBeLessThan(
      0.02 * scale(ref.result.latents[0]),
    );
    expect(maxAbs(os.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(8);
  }, 120_000);
});

describe('text conditioning', () => {
  it('emphasis multiplies token rows and restores the mean', () => {
    const z = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const out = applyEmphasis(z, [1, 2, 1], 2);
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(z), 5);
    expect(out[2] / out[0]).toBeCloseTo(6, 5);
    expect(applyEmphasis(z, [1, 1, 1], 2)).toBe(z);
  });

  it('weighted prompts go through the encoder with their weights', async () => {
    const pipe = await StableDiffusionPipeline.load(diffusers, { fp16: false });
    const [plain, weighted] = await pipe.encodePrompts(['a red car', 'a (red:1.5) car']);
    expect(weighted.ids[0]).toEqual(plain.ids[0]);
    expect(weighted.context).not.toEqual(plain.context);
  });
});

describe('VAE tiling', () => {
  /** A stand-in decoder: every latent pixel becomes an 8x8 block of its first three channels. */
  const blockDecoder = (lw: number, lh: number): ModelRunner => ({
    inputs: [{ name: 'latent_sample', type: 'float32', shape: [1, 4, lh, lw] }],
    outputs: [{ name: 'sample' }],
    async run(feedsList) {
      return feedsList.map((f) => {
        const t = f.latent_sample;
        const [, , h, w] = t.dims;
        const x = t.data as Float32Array;
        const out = new Float32Array(3 * 64 * h * w);
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < 8 * h; y++)
            for (let z = 0; z < 8 * w; z++)
              out[c * 64 * h * w + y * 8 * w + z] = x[c * h * w + (y >> 3) * w + (z >> 3)];
        return { sample: new Tensor('float32', out, [1, 3, 8 * h, 8 * w]) };
      });
    },
    release: async () => {},
  });

  it("OnnxStream's tile origins (32-latent tiles every 24, last one clamped)", () => {
    expect(tileOrigins(64, 32, 8)).toEqual([0, 24, 32]);
    expect(tileOrigins(128, 32, 8)).toEqual([0, 24, 48, 72, 96]);
    expect(tileOrigins(32, 32, 8)).toEqual([0]);
    expect(() => tileOrigins(24, 32, 8)).toThrow(/at least 32/);
    expect(tilingApplies(32, 32)).toBe(false);
    expect(tilingApplies(40, 32)).toBe(true);
  });

  it('blending tiles of a seamless decoder gives the full decode', async () => {
    const lw = 40;
    const lh = 48;
    const latent = Float32Array.from({ length: 4 * lw * lh }, (_, i) => Math.sin(i * 0.1));
    const full = await decodeFull(blockDecoder(lw, lh), latent, lw, lh);
    let tiles = 0;
    const tiled = await decodeTiled(blockDecoder(32, 32), latent, lw, lh, { onTile: () => tiles++ });
    expect(tiles).toBe(4); // origins 0, 8 across and 0, 16 down
    expect(maxAbs(tiled, full)).toBeLessThan(1e-6);
    const px = toPixels(full, lw * 8, lh * 8);
    expect(px.data.length).toBe(lw * lh * 64 * 3);
    expect(toPixels(Float32Array.of(-2, 0, 0.999, 1, 2, -1.0), 2, 1).data).toEqual(
      Uint8Array.of(0, 254, 255, 127, 255, 0),
    );
  });
});

describe('generate options', () => {
  it('num images share UNet runs and equal single-image runs with seed + k', async () => {
    const both = await generate(diffusers, undefined, { num: 2, sampler: 'euler_a', seed: 7 });
    expect(both.result.seeds).toEqual([7, 8]);
    expect(both.cap.unet[0].outputs).toHaveLength(4); // 2 images x (uncond, cond) per evaluation
    const second = await generate(diffusers, undefined, { sampler: 'euler_a', seed: 8 });
    expect(both.result.latents[1]).toEqual(second.result.latents[0]);
    expect(both.result.images[1].data).toEqual(second.result.images[0].data);
  }, 120_000);

  it('guidance branches are two UNet runs by default (half the live activations), one with guidanceBatch', async () => {
    const counting = () => {
      const unetRuns: number[] = [];
      const factory: ModelRunnerFactory = async (model, settings, component) => {
        const runner = await coreRunnerFactory(model, settings, component);
        if (component !== 'unet') return runner;
        return {
          ...runner,
          run: (feedsList, options) => {
            unetRuns.push(feedsList.length);
            return runner.run(feedsList, options);
          },
        };
      };
      return { factory, unetRuns };
    };
    const two = counting();
    const split = await generate(diffusers, two.factory, { num: 2, skipDecode: true });
    expect(two.unetRuns).toEqual(Array(8).fill(2)); // 4 steps x (uncond, cond), both images per run
    const one = counting();
    const batched = await generate(
      diffusers,
      one.factory,
      { num: 2, skipDecode: true },
      { guidanceBatch: true },
    );
    expect(one.unetRuns).toEqual(Array(4).fill(4));
    // Same samples either way: the traced outputs (uncond, cond per image) and the latents agree.
    split.cap.unet.forEach((u, i) => {
      for (const [k, o] of u.outputs.entries()) expect(maxAbs(o, batched.cap.unet[i].outputs[k])).toBe(0);
    });
    expect(split.result.latents).toEqual(batched.result.latents);
  }, 120_000);

  it('cfg 1 runs the UNet once per evaluation; philox rng and initNoise are used', async () => {
    const noise = Float32Array.from({ length: 256 }, (_, i) => Math.cos(i));
    const a = await generate(diffusers, undefined, { cfg: 1, initNoise: noise, skipDecode: true });
    expect(a.cap.unet[0].outputs).toHaveLength(1);
    expect(a.cap.text).toHaveLength(1);
    expect(a.result.images).toEqual([]);
    const b = await generate(diffusers, undefined, {
      cfg: 1,
      initNoise: noise,
      rng: 'philox',
      skipDecode: true,
    });
    expect(b.result.latents[0]).toEqual(a.result.latents[0]); // euler: no noise after the initial one
    const c = await generate(diffusers, undefined, { cfg: 1, rng: 'philox', skipDecode: true });
    expect(c.result.latents[0]).not.toEqual(a.result.latents[0]);
  }, 120_000);

  it('latent previews come with the UNet steps', async () => {
    const { cap } = await generate(diffusers, undefined, {
      steps: 3,
      preview: 'latent-x8',
      skipDecode: true,
    });
    const unet = cap.events.filter((e) => e.stage === 'unet');
    expect(unet).toHaveLength(3);
    for (const e of unet) expect([e.preview?.width, e.preview?.height]).toEqual([64, 64]);
  }, 120_000);

  it('tiled decoding (OnnxStream _l32 decoder) runs tile by tile and agrees between engines', async () => {
    const opts = { tileSize: 4, tileOverlap: 1 } as const;
    const ours = await generate(onnxstream, undefined, opts);
    const ref = await generate(onnxstream, ortFactory, opts);
    const vae = ours.cap.events.filter((e) => e.stage === 'vae');
    expect(vae.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]); // origins 0, 3, 4 per axis
    expect(maxAbs(ours.result.latents[0], ref.result.latents[0])).toBeLessThan(
      0.02 * scale(ref.result.latents[0]),
    );
    expect(maxAbs(ours.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(8);
    const full = await generate(onnxstream, undefined, { ...opts, tiled: false });
    expect(full.cap.events.filter((e) => e.stage === 'vae')).toHaveLength(1);
  }, 120_000);

  it('long prompts: a UNet with a 154-token context gets both chunks; a 77-token one the last', async () => {
    const prompt = Array.from({ length: 90 }, (_, i) => (i % 2 ? 'cat' : 'dog')).join(' ');
    const two = await generate(long, undefined, { prompt, cfg: 1, steps: 1, skipDecode: true });
    expect(two.cap.text[0].tokens).toBe(154);
    const warnings: string[] = [];
    const pipe = await StableDiffusionPipeline.load(diffusers, {
      fp16: false,
      onWarning: (w) => warnings.push(w),
    });
    const texts: TextConditioning[] = [];
    await pipe.generate({
      prompt,
      cfg: 1,
      steps: 1,
      width: 64,
      height: 64,
      skipDecode: true,
      trace: { onText: (c) => texts.push(...c) },
    });
    expect(texts[0].tokens).toBe(77);
    expect(texts[0].context).toEqual(two.cap.text[0].context.subarray(77 * 32));
    expect(warnings[0]).toMatch(/last 1/);
  }, 120_000);

  it('rejects bad sizes, unknown samplers, and stops on abort', async () => {
    const pipe = await StableDiffusionPipeline.load(diffusers, { fp16: false });
    await expect(pipe.generate({ prompt: 'x', width: 60, height: 64 })).rejects.toThrow(/multiple of 8/);
    await expect(pipe.generate({ prompt: 'x', width: 128, height: 128 })).rejects.toThrow(/only takes 64x64/);
    await expect(pipe.generate({ prompt: 'x', width: 64, height: 64, sampler: 'nope' })).rejects.toThrow(
      /unknown sampler/,
    );
    const ac = new AbortController();
    const run = pipe.generate({
      prompt: 'x',
      width: 64,
      height: 64,
      steps: 5,
      onProgress: (e) => {
        if (e.stage === 'unet' && e.step === 1) ac.abort();
      },
      signal: ac.signal,
    });
    await expect(run).rejects.toThrow(/abort/i);
  }, 120_000);
});

describe('low-memory decoding and decoder calibration (OnnxStream folder)', () => {
  /** Final latents (before VAE scaling) of about the range the fixture's ranges were calibrated on. */
  const latents = [0.21, 0.37].map((f) =>
    Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * f) * 0.7),
  );
  /** The decoder's feeds for these latents, as the pipeline makes them (unscaled, NCHW). */
  const feeds = (input: string) =>
    latents.map((l) => ({
      [input]: new Tensor('float32', unscaleLatent(l, SD15_VAE_SCALING_FACTOR), [1, 4, 8, 8]),
    }));

  it("lowMemory decodes with the W8A8 vae_decoder_qu8 and its range_data.txt (OnnxStream's --rpi-lowmem)", async () => {
    const low = await StableDiffusionPipeline.load(onnxstream, { fp16: false, lowMemory: true });
    const images = await low.decodeLatents(latents, 8, 8);
    const s = await InferenceSession.create(join(onnxstream, 'vae_decoder_qu8'), { uint8Arithmetic: true });
    const [input] = s.inputNames;
    const [output] = s.outputNames;
    for (const [k, f] of feeds(input).entries()) {
      const planar = (await s.run(f))[output].data as Float32Array;
      expect(images[k].data).toEqual(toPixels(planar, 64, 64).data);
    }
    await s.release();
    // Activations at 256 levels per operator: near the float16-weight decoder, not equal to it. Measured
    // mean |difference| 6.5 and 5.8 (of 255) on this random tiny decoder.
    const plain = await (await StableDiffusionPipeline.load(onnxstream, { fp16: false })).decodeLatents(
      latents,
      8,
      8,
    );
    for (let k = 0; k < 2; k++) {
      let sum = 0;
      for (let i = 0; i < plain[k].data.length; i++) sum += Math.abs(plain[k].data[i] - images[k].data[i]);
      const mean = sum / plain[k].data.length;
      expect(mean).toBeGreaterThan(0);
      expect(mean).toBeLessThan(10);
    }
  });

  it('calibrateDecoder records the ranges of the decoder it would run: qu8 in float32 with lowMemory, else fp16', async () => {
    const shipped = parseRangeData(
      await readFile(join(onnxstream, 'vae_decoder_qu8', 'range_data.txt'), 'utf8'),
    );
    const recorded = [];
    for (const [lowMemory, folder] of [
      [true, 'vae_decoder_qu8'],
      [false, 'vae_decoder_fp16'],
    ] as const) {
      const pipe = await StableDiffusionPipeline.load(onnxstream, { fp16: false, lowMemory });
      const ranges = await pipe.calibrateDecoder(latents, 8, 8);
      const s = await InferenceSession.create(join(onnxstream, folder));
      expect(ranges).toEqual(await s.calibrate(feeds(s.inputNames[0])));
      await s.release();
      // A range for every operator of the decoder, as in range_data.txt.
      expect([...ranges.keys()].sort()).toEqual([...shipped.keys()].sort());
      recorded.push(ranges);
    }
    expect(recorded[0]).not.toEqual(recorded[1]);
  });
});
