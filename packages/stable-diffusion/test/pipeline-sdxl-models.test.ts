/**
 * End-to-end SDXL and SDXL Turbo pipeline tests on tiny generated models (the real SDXL architectures:
 * CLIP-L and OpenCLIP-bigG-style text encoders, the SDXL UNet with its text_time embedding, the VAE
 * decoder; tiny widths, the real CLIP vocabulary) in diffusers' ONNX layout and OnnxStream's folders.
 * Every stage is compared with onnxruntime-node running the same graphs inside the same pipeline code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  coreRunnerFactory,
  type EngineSettings,
  type ModelRunnerFactory,
  openClipIds,
  StableDiffusionPipeline,
} from '../src/index.js';
import { writeTinySdxl } from '../src/pipeline/fixtures.js';
import { generate, maxAbs, ortFactory, scale } from './ort-runner.js';

let dir: string;
let diffusers: string;
let onnxstream: string;
let turbo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-xl-models-'));
  const clipDir = testdata('clip');
  diffusers = await writeTinySdxl(join(dir, 'diffusers'), { clipDir });
  onnxstream = await writeTinySdxl(join(dir, 'onnxstream'), { clipDir, format: 'onnxstream' });
  turbo = await writeTinySdxl(join(dir, 'turbo'), { clipDir, format: 'onnxstream', kind: 'sdxl-turbo' });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** max |a - b| relative to max |b|, the measure of the SD 1.5 tests (and their tolerances). */
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbs(a, b) / scale(b);
const TILES = { tileSize: 4, tileOverlap: 1 } as const;

describe('SDXL folders', () => {
  it('are detected in both layouts (a diffusers Turbo folder is said to be one)', async () => {
    const d = await StableDiffusionPipeline.load(diffusers, { fp16: false });
    expect(d.layout).toMatchObject({ kind: 'sdxl', format: 'diffusers' });
    expect(d.layout.tokenizer2).toBe(join(diffusers, 'tokenizer_2'));
    const dt = await StableDiffusionPipeline.load(diffusers, { fp16: false, kind: 'sdxl-turbo' });
    expect(dt.isTurbo).toBe(true);
    const o = await StableDiffusionPipeline.load(onnxstream, { fp16: false });
    expect(o.layout).toMatchObject({ kind: 'sdxl', format: 'onnxstream' });
    expect(o.layout.unet.path).toMatch(/sdxl_unet_fp16$/);
    expect(o.layout.vaeDecoderTiled?.path).toMatch(/sdxl_vae_decoder_32x32_fp16$/);
    const t = await StableDiffusionPipeline.load(turbo, { fp16: false });
    expect(t.layout).toMatchObject({ kind: 'sdxl-turbo', format: 'onnxstream' });
    expect(t.layout.unet.path).toMatch(/sdxl_unet_anyshape_fp16$/);
    expect(t.layout.vaeDecoder.path).toMatch(/sdxl_vae_decoder_anyshape_fp16$/);
  });
});

describe('SDXL base: every stage matches onnxruntime-node', () => {
  let ours: Awaited<ReturnType<typeof generate>>;
  let ref: Awaited<ReturnType<typeof generate>>;
  beforeAll(async () => {
    ours = await generate(diffusers, undefined);
    ref = await generate(diffusers, ortFactory);
  }, 300_000);

  it('text embeddings (both encoders) and pooled embeddings of the negative and positive prompts', () => {
    expect(ours.cap.text).toHaveLength(2);
    for (let k = 0; k < 2; k++) {
      const [t, r] = [ours.cap.text[k], ref.cap.text[k]];
      expect([t.tokens, t.width, t.pooled?.length]).toEqual([77, 32 + 48, 48]);
      expect(rel(t.context, r.context)).toBeLessThan(1e-4);
      expect(rel(t.pooled!, r.pooled!)).toBeLessThan(1e-4);
    }
    expect(ours.cap.text[1].ids[0].slice(0, 3)).toEqual([49406, 320, 736]);
  });

  it("are the encoders' penultimate states side by side and encoder 2's projection (0-padded ids)", async () => {
    const [negative, positive] = ref.cap.text;
    for (const c of [negative, positive]) {
      const ids = c.ids[0];
      const run = async (folder: string, feed: number[]) => {
        const s = await ort.InferenceSession.create(join(diffusers, folder, 'model.onnx'));
        const out = await s.run({ input_ids: new ort.Tensor('int32', Int32Array.from(feed), [1, 77]) });
        await s.release();
        return out;
      };
      const one = await run('text_encoder', ids);
      const two = await run('text_encoder_2', openClipIds(ids, 49407));
      const h1 = one['hidden_states.1'].data as Float32Array; // penultimate of 2 layers
      const h2 = two['hidden_states.2'].data as Float32Array; // penultimate of 3 layers
      for (const t of [0, 1, 5, 76]) {
        expect(c.context.subarray(t * 80, t * 80 + 32)).toEqual(h1.subarray(t * 32, (t + 1) * 32));
        expect(c.context.subarray(t * 80 + 32, (t + 1) * 80)).toEqual(h2.subarray(t * 48, (t + 1) * 48));
      }
      expect(c.pooled).toEqual(two.text_embeds.data);
    }
  });

  it('each UNet evaluation (uncond + cond in one run), final latents and image', () => {
    expect(ours.cap.unet).toHaveLength(4);
    ours.cap.unet.forEach((u, i) => {
      expect(u.outputs).toHaveLength(2);
      expect(u.sigma).toBe(ref.cap.unet[i].sigma);
      for (let b = 0; b < 2; b++) expect(rel(u.outputs[b], ref.cap.unet[i].outputs[b])).toBeLessThan(1e-3);
    });
    expect(rel(ours.result.latents[0], ref.result.latents[0])).toBeLessThan(1e-3);
    const img = ours.result.images[0];
    expect([img.width, img.height]).toEqual([64, 64]);
    expect(maxAbs(img.data, ref.result.images[0].data)).toBeLessThanOrEqual(1);
  });
});

describe('SDXL Turbo', () => {
  const turboRun = { steps: 2, sampler: 'euler_a' } as const;

  it('one prompt, one UNet branch, no guidance; matches onnxruntime-node in both layouts', async () => {
    const kind = { kind: 'sdxl-turbo' } as const;
    const ours = await generate(diffusers, undefined, turboRun, kind);
    const ref = await generate(diffusers, ortFactory, turboRun, kind);
    expect(ours.cap.text).toHaveLength(1);
    expect(ours.cap.unet.map((u) => u.outputs.length)).toEqual([1, 1]);
    expect(rel(ours.cap.text[0].context, ref.cap.text[0].context)).toBeLessThan(1e-4);
    ours.cap.unet.forEach((u, i) => {
      expect(rel(u.outputs[0], ref.cap.unet[i].outputs[0])).toBeLessThan(1e-3);
    });
    expect(rel(ours.result.latents[0], ref.result.latents[0])).toBeLessThan(1e-3);
    expect(maxAbs(ours.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(1);

    const os = await generate(turbo, undefined, turboRun);
    const osRef = await generate(turbo, ortFactory, turboRun);
    expect(rel(os.cap.text[0].context, ref.cap.text[0].context)).toBeLessThan(1e-4);
    expect(rel(os.result.latents[0], osRef.result.latents[0])).toBeLessThan(0.02);
    expect(maxAbs(os.result.images[0].data, osRef.result.images[0].data)).toBeLessThanOrEqual(8);
  }, 120_000);
});

describe("SDXL base, OnnxStream's folder (float16 UNet and VAE weights)", () => {
  /** One guidance branch and 3 steps are enough here; tiles of 4 latent pixels: 9 tiles. */
  const run = { ...TILES, cfg: 1, steps: 3 } as const;
  let ref: Awaited<ReturnType<typeof generate>>;
  beforeAll(async () => {
    // The folder's source graphs (float32 weights) in onnxruntime. (Its UNet's parameters are named
    // `unet.*`, so it is another seeded UNet than the diffusers folder's.)
    ref = await generate(onnxstream, ortFactory, run);
  }, 120_000);

  it('stays close to onnxruntime, decoding with its 32x32 tile decoder', async () => {
    const os = await generate(onnxstream, undefined, run);
    expect(os.cap.events.filter((e) => e.stage === 'vae').map((e) => e.step)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(rel(os.cap.text[0].context, ref.cap.text[0].context)).toBeLessThan(1e-4);
    expect(rel(os.cap.text[0].pooled!, ref.cap.text[0].pooled!)).toBeLessThan(1e-4);
    expect(rel(os.result.latents[0], ref.result.latents[0])).toBeLessThan(0.02);
    expect(maxAbs(os.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(8);
  });

  it("lowMemory: float16 storage and OnnxStream's uint8 storage set, named as the folder's UNet names its values", async () => {
    const unetSettings: EngineSettings[] = [];
    const recording: ModelRunnerFactory = (model, settings, component) => {
      if (component === 'unet') unetSettings.push(settings);
      return coreRunnerFactory(model, settings, component);
    };
    const low = await generate(onnxstream, recording, run, { lowMemory: true });
    expect(unetSettings).toHaveLength(1);
    const [settings] = unetSettings;
    expect(settings).toMatchObject({ fp16Arithmetic: false, fp16Storage: true });
    const names = settings.uint8Storage as readonly string[];
    expect(names).toHaveLength(9);
    const session = await InferenceSession.create(low.pipe.layout.unet.path);
    const values = new Set(session.graph.nodes.flatMap((n) => n.outputs));
    await session.release();
    for (const n of names) expect(values.has(n), n).toBe(true);
    expect(rel(low.result.latents[0], ref.result.latents[0])).toBeLessThan(0.02);
    expect(maxAbs(low.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(8);
  });

  it("preview 'vae' decodes every step but the last (OnnxStream's --decode-steps)", async () => {
    const { cap, pipe } = await generate(onnxstream, undefined, { cfg: 1, steps: 3, preview: 'vae' });
    const steps = cap.events.filter((e) => e.stage === 'unet');
    expect(steps.map((e) => e.preview !== undefined)).toEqual([true, true, false]);
    // Only the final decode reports progress.
    expect(cap.events.filter((e) => e.stage === 'vae')).toHaveLength(1);
    for (let k = 0; k < 2; k++) {
      // The latent after step k is what evaluation k + 1 got, divided by c_in = 1/sqrt(sigma^2 + 1).
      const next = cap.unet[k + 1];
      const latent = next.inputs[0].map((v) => v * Math.sqrt(next.sigma ** 2 + 1));
      const [decoded] = await pipe.decodeLatents([latent], 8, 8);
      expect([steps[k].preview!.width, steps[k].preview!.height]).toEqual([64, 64]);
      expect(maxAbs(steps[k].preview!.data, decoded.data)).toBeLessThanOrEqual(1);
    }
  });
});
