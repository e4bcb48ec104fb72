/**
 * End-to-end SDXL and SDXL Turbo pipeline tests on tiny generated models (the real SDXL architectures:
 * CLIP-L and OpenCLIP-bigG-style text encoders, the SDXL UNet with its text_time embedding, the VAE
 * decoder; tiny widths, the real CLIP vocabulary) in diffusers' ONNX layout and OnnxStream's folders.
 * Every stage is compared with onnxruntime-node running the same graphs inside the same pipeline code.
 * Turbo's UNet and VAE decoder are "anyshape" models (dynamic height and width), run at several sizes
 * and on tiles from the same folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeName, InferenceSession, Tensor } from '@onnxstream/core';
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
import { onnxSourceOf, writeTinySdxl } from '../src/pipeline/fixtures.js';
import { generate, maxAbs, ortFactory, scale } from './ort-runner.js';

let dir: string;
let diffusers: string;
let onnxstream: string;
let turbo: string;
let turboDiffusers: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-xl-models-'));
  const clipDir = testdata('clip');
  diffusers = await writeTinySdxl(join(dir, 'diffusers'), { clipDir });
  onnxstream = await writeTinySdxl(join(dir, 'onnxstream'), { clipDir, format: 'onnxstream' });
  turbo = await writeTinySdxl(join(dir, 'turbo'), { clipDir, format: 'onnxstream', kind: 'sdxl-turbo' });
  turboDiffusers = await writeTinySdxl(join(dir, 'turbo-diffusers'), { clipDir, kind: 'sdxl-turbo' });
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

describe('SDXL Turbo anyshape models: one UNet and one VAE decoder for every size', () => {
  const turboRun = { steps: 2, sampler: 'euler_a' } as const;
  const turboKind = { kind: 'sdxl-turbo' } as const;
  /** 64x64 (the size the fixtures are nominally built at) and 128x64 (latent 16 wide, 8 high). */
  const SIZES = [
    [64, 64],
    [128, 64],
  ] as const;

  /** The shape model.txt gives the first time it names the value `token` (escaped). */
  const first = (text: string, token: string) => new RegExp(`[;:]${token}\\(([^)]*)\\)`).exec(text)?.[1];

  it('declare symbolic height and width in the .onnx and 0 dims in model.txt (static folders: numbers)', async () => {
    // diffusers layout: dim_param dims, as onnxruntime reads them.
    const unet = await ort.InferenceSession.create(join(turboDiffusers, 'unet', 'model.onnx'));
    const vae = await ort.InferenceSession.create(join(turboDiffusers, 'vae_decoder', 'model.onnx'));
    const shape = (m: readonly ort.InferenceSession.ValueMetadata[], name: string) => {
      const v = m.find((x) => x.name === name);
      return v?.isTensor ? v.shape : undefined;
    };
    expect(shape(unet.inputMetadata, 'sample')).toEqual([1, 4, 'height', 'width']);
    expect(shape(unet.inputMetadata, 'encoder_hidden_states')).toEqual([1, 77, 80]);
    expect(shape(unet.outputMetadata, 'out_sample')).toEqual([1, 4, 'height', 'width']);
    expect(shape(vae.inputMetadata, 'latent_sample')).toEqual([1, 4, 'height', 'width']);
    expect(shape(vae.outputMetadata, 'sample')).toEqual([1, 3, 'image_height', 'image_width']);
    await unet.release();
    await vae.release();

    // OnnxStream layout: model.txt writes the dynamic dims as 0, everything else as numbers.
    const unetTxt = await readFile(join(turbo, 'sdxl_unet_anyshape_fp16', 'model.txt'), 'utf8');
    const vaeTxt = await readFile(join(turbo, 'sdxl_vae_decoder_anyshape_fp16', 'model.txt'), 'utf8');
    expect(first(unetTxt, 'sample')).toBe('1,4,0,0');
    expect(first(unetTxt, 'out_5F_sample')).toBe('1,4,0,0');
    expect(first(unetTxt, 'encoder_5F_hidden_5F_states')).toBe('1,77,80');
    expect(first(unetTxt, 'time_5F_ids')).toBe('1,6');
    expect(first(unetTxt, '_2F_unet_2F_conv_5F_in_2F_Conv_5F_output_5F_0')).toBe('1,32,0,0');
    expect(first(vaeTxt, 'latent_5F_sample')).toBe('1,4,0,0');
    expect(first(vaeTxt, 'sample')).toBe('1,3,0,0');
    // Reshapes back to H x W read the sizes at run time (Shape -> Gather); architecture-models.test.ts
    // shows that no node of these graphs depends on the size they are built at.
    expect(unetTxt).toMatch(/:Shape\*input:/);
    expect(vaeTxt).toMatch(/:Gather\*input:/);
    // The static base folder (same architectures, built for 8x8 latents and 4x4 tiles) has numbers.
    const baseTxt = await readFile(join(onnxstream, 'sdxl_unet_fp16', 'model.txt'), 'utf8');
    expect(first(baseTxt, 'sample')).toBe('1,4,8,8');
    expect(baseTxt).not.toMatch(/:Shape\*input:/);
    const tileTxt = await readFile(join(onnxstream, 'sdxl_vae_decoder_32x32_fp16', 'model.txt'), 'utf8');
    expect(first(tileTxt, 'latent_5F_sample')).toBe('1,4,4,4');

    // Our engine reads 0 as an unknown dim.
    const s = await InferenceSession.create(join(turbo, 'sdxl_unet_anyshape_fp16'));
    expect(s.inputMetadata.find((m) => m.name === 'sample')?.shape).toEqual([1, 4, null, null]);
    await s.release();
  });

  /** Runs a UNet folder (ours) or .onnx (onnxruntime) once on a [1, 4, lh, lw] sample; returns out_sample's dims. */
  async function runUnetOnce(
    engine: 'ours' | 'ort',
    path: string,
    lh: number,
    lw: number,
  ): Promise<number[]> {
    const wave = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k));
    const feeds: [string, Float32Array, number[]][] = [
      ['sample', wave(4 * lh * lw, 1), [1, 4, lh, lw]],
      ['timestep', Float32Array.of(500), [1]],
      ['encoder_hidden_states', wave(77 * 80, 2), [1, 77, 80]],
      ['text_embeds', wave(48, 3), [1, 48]],
      ['time_ids', Float32Array.of(lh * 8, lw * 8, 0, 0, lh * 8, lw * 8), [1, 6]],
    ];
    if (engine === 'ort') {
      const s = await ort.InferenceSession.create(path);
      try {
        const out = await s.run(
          Object.fromEntries(feeds.map(([n, d, dims]) => [n, new ort.Tensor('float32', d, dims)])),
        );
        return [...out.out_sample.dims];
      } finally {
        await s.release();
      }
    }
    const s = await InferenceSession.create(path);
    try {
      const out = await s.run(
        Object.fromEntries(feeds.map(([n, d, dims]) => [escapeName(n), new Tensor('float32', d, dims)])),
      );
      return [...out[escapeName('out_sample')].dims];
    } finally {
      await s.release();
    }
  }

  it('the anyshape UNet runs at another size in both engines, a static-shape one is refused by both', async () => {
    const anyshape = join(turbo, 'sdxl_unet_anyshape_fp16');
    const fixed = join(onnxstream, 'sdxl_unet_fp16');
    for (const [lh, lw] of [
      [8, 8],
      [8, 16],
      [16, 4],
    ]) {
      expect(await runUnetOnce('ours', anyshape, lh, lw)).toEqual([1, 4, lh, lw]);
      expect(await runUnetOnce('ort', onnxSourceOf(anyshape), lh, lw)).toEqual([1, 4, lh, lw]);
    }
    // The static folder takes its one size only.
    expect(await runUnetOnce('ours', fixed, 8, 8)).toEqual([1, 4, 8, 8]);
    await expect(runUnetOnce('ours', fixed, 8, 16)).rejects.toThrow(
      /'sample' must have shape \[1,4,8,8\], got \[1,4,8,16\]/,
    );
    await expect(runUnetOnce('ort', onnxSourceOf(fixed), 8, 16)).rejects.toThrow(/[Gg]ot invalid dimensions/);
    // And the pipeline refuses another size before running it.
    await expect(
      generate(onnxstream, undefined, { width: 128, height: 64, cfg: 1, steps: 1 }),
    ).rejects.toThrow(/only takes 64x64 images/);
  });

  /** Ours and onnxruntime agree at every stage: text, each UNet evaluation, final latents, image. */
  function expectStages(
    ours: Awaited<ReturnType<typeof generate>>,
    ref: Awaited<ReturnType<typeof generate>>,
    tol: { readonly latent: number; readonly pixels: number },
  ) {
    expect(ours.cap.text).toHaveLength(1);
    expect(rel(ours.cap.text[0].context, ref.cap.text[0].context)).toBeLessThan(1e-4);
    expect(rel(ours.cap.text[0].pooled!, ref.cap.text[0].pooled!)).toBeLessThan(1e-4);
    expect(ours.cap.unet.map((u) => u.outputs.length)).toEqual([1, 1]);
    ours.cap.unet.forEach((u, i) => {
      expect(u.sigma).toBe(ref.cap.unet[i].sigma);
      expect(rel(u.inputs[0], ref.cap.unet[i].inputs[0])).toBeLessThan(tol.latent);
      expect(rel(u.outputs[0], ref.cap.unet[i].outputs[0])).toBeLessThan(tol.latent);
    });
    expect(rel(ours.result.latents[0], ref.result.latents[0])).toBeLessThan(tol.latent);
    expect(maxAbs(ours.result.images[0].data, ref.result.images[0].data)).toBeLessThanOrEqual(tol.pixels);
  }

  // diffusers' layout runs the same float32 graphs in both engines; OnnxStream's folders hold float16
  // weights (onnxruntime runs their float32 source graphs): the tolerances of the tests above.
  const LAYOUTS = [
    { name: 'diffusers', folder: () => turboDiffusers, load: turboKind, tol: { latent: 1e-3, pixels: 1 } },
    { name: 'OnnxStream', folder: () => turbo, load: {}, tol: { latent: 0.02, pixels: 8 } },
  ] as const;

  for (const layout of LAYOUTS) {
    it(`${layout.name} layout: 64x64 and 128x64 from the same folder match onnxruntime stage by stage`, async () => {
      const folder = layout.folder();
      const seen: string[] = [];
      const recording: ModelRunnerFactory = (model, settings, component) => {
        seen.push(`${component} ${model.path}`);
        return coreRunnerFactory(model, settings, component);
      };
      const latents: Float32Array[] = [];
      let l: StableDiffusionPipeline['layout'] | undefined;
      for (const [width, height] of SIZES) {
        const run = { ...turboRun, width, height, tiled: false };
        const ours = await generate(folder, recording, run, layout.load);
        const ref = await generate(folder, ortFactory, run, layout.load);
        expect(ours.pipe.isTurbo).toBe(true);
        expect(ours.cap.unet[0].inputs[0]).toHaveLength(4 * (width / 8) * (height / 8));
        const img = ours.result.images[0];
        expect([img.width, img.height]).toEqual([width, height]);
        expectStages(ours, ref, layout.tol);
        latents.push(ours.result.latents[0]);
        l = ours.pipe.layout;
      }
      expect(latents.map((x) => x.length)).toEqual([256, 512]);
      // Both sizes ran the folder's one UNet and one decoder.
      const used = (prefix: string) => [...new Set(seen.filter((x) => x.startsWith(prefix)))];
      expect(used('unet')).toEqual([`unet ${l?.unet.path}`]);
      expect(used('vae')).toEqual([`vae_decoder ${l?.vaeDecoder.path}`]);
    }, 120_000);

    it(`${layout.name} layout: tiled decoding runs tiles through the same anyshape decoder, as onnxruntime`, async () => {
      const folder = layout.folder();
      const paths: string[] = [];
      const recording: ModelRunnerFactory = (model, settings, component) => {
        if (component.startsWith('vae')) paths.push(`${component} ${model.path}`);
        return coreRunnerFactory(model, settings, component);
      };
      // A 16x8 latent in 4x4 tiles overlapping by 1: origins x 0, 3, 6, 9, 12 and y 0, 3, 4.
      const run = { ...turboRun, ...TILES, tiled: true, width: 128, height: 64 };
      const ours = await generate(folder, recording, run, layout.load);
      const ref = await generate(folder, ortFactory, run, layout.load);
      expect(ours.cap.events.filter((e) => e.stage === 'vae').map((e) => e.step)).toEqual(
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      // OnnxStream's Turbo layout names the anyshape decoder as its tiled decoder too; diffusers' has
      // no tiled decoder, and tiles go to the full one.
      const l = ours.pipe.layout;
      expect(paths).toEqual([
        `${l.vaeDecoderTiled ? 'vae_decoder_tiled' : 'vae_decoder'} ${l.vaeDecoder.path}`,
      ]);
      if (l.format === 'onnxstream') expect(l.vaeDecoderTiled?.path).toBe(l.vaeDecoder.path);
      expectStages(ours, ref, layout.tol);
      // The same latents decoded whole by the same decoder: tiling changed the image (the blend
      // over the overlaps), and each engine's tiled image is what onnxruntime's tiles give.
      const [whole] = await ours.pipe.decodeLatents(ours.result.latents, 16, 8, { tiled: false });
      expect([whole.width, whole.height]).toEqual([128, 64]);
      expect(maxAbs(whole.data, ours.result.images[0].data)).toBeGreaterThan(0);
    }, 120_000);
  }
});
