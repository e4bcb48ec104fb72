/**
 * `StableDiffusionPipeline`: SD 1.5, SDXL base and SDXL Turbo text-to-image on `@onnxstream/core`,
 * reading OnnxStream's published folders and diffusers-style ONNX exports (see layout.ts).
 *
 *   const pipe = await StableDiffusionPipeline.load('models/sd15');
 *   const { images, latents } = await pipe.generate({ prompt: 'a red car', steps: 10, seed: 42 });
 *
 * Stages: text encoding (every prompt chunk; one weight stream for all chunks), the sampler loop
 * (the `num` images share one weight stream per UNet run through `runSamples`; classifier-free
 * guidance's two branches are two runs unless `guidanceBatch`), VAE decoding (whole or tiled). Models are created per stage and
 * released after it, as OnnxStream does, so peak memory is one model's.
 */
import { readFile } from 'node:fs/promises';
import { escapeName, InferenceSession, parseRangeData, type RangeData, Tensor } from '@onnxstream/core';
import { classifierFreeGuidance, compVisScalings } from '../denoiser.js';
import {
  latentPreview,
  type RgbImage,
  SD15_LATENT_RGB_FACTORS,
  SDXL_LATENT_RGB_FACTORS,
  upscaleNearest,
} from '../latent/preview.js';
import { SD15_VAE_SCALING_FACTOR, SDXL_VAE_SCALING_FACTOR, unscaleLatent } from '../latent/scaling.js';
import { promptToChunks } from '../prompt/chunks.js';
import { type NoiseSource, onnxstreamNoise, philoxNoise } from '../rng/noise.js';
import { DEFAULT_SAMPLER, getSampler, isSamplerName, SAMPLER_NAMES } from '../samplers/registry.js';
import { defaultSigmas } from '../schedule/sampling.js';
import { sigmaToTimestep } from '../schedule/timestep.js';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer.js';
import { loadClipTokenizer } from '../tokenizer/load.js';
import type { ClipTokenizerMode } from '../tokenizer/pretokenize.js';
import { type ModelKind, type ModelLayout, resolveLayout } from './layout.js';
import {
  type ComponentName,
  coreRunnerFactory,
  type EngineSettings,
  floatFeed,
  floats,
  infoOf,
  type ModelPath,
  type ModelRunner,
  type ModelRunnerFactory,
  requireName,
  timestepFeed,
} from './runner.js';
import { encodeSd15, encodeSdxl, type TextConditioning } from './text.js';
import { DEFAULT_TILE_SIZE, decodeFull, decodeTiled, tilingApplies, toPixels } from './vae.js';

/** OnnxStream's uint8-storage set for the SDXL UNet with --rpi-lowmem (reference section 7.10). */
export const SDXL_LOWMEM_UINT8 = [
  '/unet/conv_in/Conv_output_0',
  '/unet/down_blocks.0/resnets.0/Add_1_output_0',
  '/unet/down_blocks.1/attentions.0/Add_output_0',
  '/unet/down_blocks.0/resnets.1/Add_1_output_0',
  '/unet/down_blocks.0/downsamplers.0/conv/Conv_output_0',
  '/unet/down_blocks.1/attentions.1/Add_output_0',
  '/unet/down_blocks.1/downsamplers.0/conv/Conv_output_0',
  '/unet/down_blocks.2/attentions.0/Add_output_0',
  '/unet/up_blocks.0/Concat_output_0',
];

/**
 * The `--rpi-lowmem` uint8 set as the UNet's value names: escaped in OnnxStream's model.txt (whose
 * UNet sits in a `unet` wrapper module), without the wrapper in diffusers' export.
 */
function lowMemoryUint8Names(format: ModelLayout['format']): string[] {
  return format === 'onnxstream'
    ? SDXL_LOWMEM_UINT8.map(escapeName)
    : SDXL_LOWMEM_UINT8.map((n) => n.slice('/unet'.length));
}

/** Options of {@link StableDiffusionPipeline.load}. */
export interface PipelineLoadOptions {
  /** Model family (default: detected from the folder; diffusers SDXL folders need 'sdxl-turbo' said explicitly). */
  kind?: ModelKind;
  /** Backend for every model (core's 'auto' by default). */
  backend?: EngineSettings['backend'];
  threads?: number;
  /**
   * float16 arithmetic for the UNet and SD 1.5's fp16 VAE decoder: true, false (OnnxStream's `--rpi`)
   * or 'auto' (default). OnnxStream's auto takes float16 where the CPU has it (`detectFp16`), for
   * XNNPACK's float16 kernels; ours compute in float32 (float16 weights are packed per call), so float16
   * arithmetic would run every operator between conversions, about twice as slow for no memory saved
   * (BENCHMARKS.md): 'auto' is float32 arithmetic until a backend has float16 kernels.
   */
  fp16?: boolean | 'auto';
  /** OnnxStream's `--rpi-lowmem`: SD 1.5 W8A8 VAE decoder, SDXL UNet float16/uint8 storage; implies fp16 false. */
  lowMemory?: boolean;
  /**
   * Run a step's unconditional and conditional UNet evaluations as one multi-sample run: the weights
   * stream once for both, but both samples' activations are alive together (about 100 MB more at
   * SD 1.5's 64x64 latent). Default false: two runs, as OnnxStream does; memory comes first. The
   * images of `num` > 1 always share one run per guidance branch.
   */
  guidanceBatch?: boolean;
  /** Weights provider per component (default: core's read-on-request). */
  weightsProvider?: (component: ComponentName) => EngineSettings['weightsProvider'];
  /** How models are run (default: `@onnxstream/core` InferenceSession). */
  runnerFactory?: ModelRunnerFactory;
  /** Tokenizer behaviour (default 'clip', Hugging Face-exact; 'onnxstream' for OnnxStream's). */
  tokenizerMode?: ClipTokenizerMode;
  /** Called after every operator of every model (OnnxStream's `--ops-printf`). */
  onOperator?: (opType: string, nodeName: string) => void;
  /** Non-fatal notes (e.g. a prompt cut to the UNet's fixed context). */
  onWarning?: (message: string) => void;
}

/** A progress event. `preview` is set on UNet steps when `generate({ preview })` asks for one. */
export interface ProgressEvent {
  readonly stage: 'text' | 'unet' | 'vae';
  /** 1-based count of finished units in the stage (prompts+chunks, sampler steps, tiles or images). */
  readonly step: number;
  readonly steps: number;
  /** The image (0-based) the event is about, for per-image events. */
  readonly image?: number;
  readonly preview?: RgbImage;
}

/** Intermediate values, for tests and debugging. */
export interface TraceHooks {
  /** The conditioning of [negative, positive] (Turbo: [positive]). */
  onText?: (conditioning: readonly TextConditioning[]) => void;
  /** Every UNet run: its samples' inputs (already scaled by c_in) and eps outputs. */
  onUnet?: (e: { sigma: number; timestep: number; inputs: Float32Array[]; outputs: Float32Array[] }) => void;
}

/** Options of {@link StableDiffusionPipeline.generate}. */
export interface GenerateOptions {
  prompt: string;
  /** Default '' (not used by Turbo). */
  negativePrompt?: string;
  /** Sampler steps (default 10). */
  steps?: number;
  /** Classifier-free guidance scale (default 7; Turbo never uses guidance; 1 runs the UNet once). */
  cfg?: number;
  /** Seed of image 0; image k uses seed + k (default: (time % 1024) * 1024, as OnnxStream). */
  seed?: number;
  /** Image size (default 512x512 for SD 1.5 and Turbo, 1024x1024 for SDXL). */
  width?: number;
  height?: number;
  /** One of the 22 OnnxStream samplers (default 'euler_a'). */
  sampler?: string;
  /** DPM++(2S) midpoint: 'k-diffusion' (default) or 'onnxstream'. */
  samplerVariant?: 'k-diffusion' | 'onnxstream';
  /** Noise generator: 'onnxstream' (default; OnnxStream's exact streams) or 'philox'. */
  rng?: 'onnxstream' | 'philox';
  /** Initial standard-normal noise (4, H/8, W/8) per image, instead of the generator's. */
  initNoise?: Float32Array | readonly Float32Array[];
  /** Number of images (default 1); their UNet runs share one weight stream. */
  num?: number;
  /** Per-step previews in progress events: latent projection (x1 or x8) or a full VAE decode. */
  preview?: 'latent' | 'latent-x8' | 'vae';
  /** Tiled VAE decoding (default: SDXL yes, SD 1.5 when the folder has the _l32 decoder, diffusers no). */
  tiled?: boolean;
  /** Tile size and overlap in latent pixels (OnnxStream: 32 and 8). */
  tileSize?: number;
  tileOverlap?: number;
  /** SDXL time ids: from the real size (default) or OnnxStream's fixed [1024, 1024, 0, 0, 1024, 1024]. */
  timeIds?: 'size' | 'onnxstream';
  /** Skip the VAE (images come back empty). */
  skipDecode?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  trace?: TraceHooks;
}

/** What {@link StableDiffusionPipeline.generate} returns. */
export interface GenerateResult {
  /** RGB images (empty with `skipDecode`). */
  images: RgbImage[];
  /** Final latents (4, H/8, W/8) per image, before VAE scaling. */
  latents: Float32Array[];
  seeds: number[];
  width: number;
  height: number;
}

/** Options of {@link StableDiffusionPipeline.decodeLatents}. */
export interface DecodeOptions {
  tiled?: boolean;
  tileSize?: number;
  tileOverlap?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

/** OnnxStream's float16 detection: x86 needs AVX2 (F16C), ARM the fp16 NEON extension; others assume yes. */
export async function detectFp16(): Promise<boolean> {
  const arch = process.arch;
  if (arch !== 'x64' && arch !== 'ia32' && arch !== 'arm64' && arch !== 'arm') return true;
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    const flags = new Set(info.split(/\s+/));
    return arch === 'x64' || arch === 'ia32' ? flags.has('avx2') : flags.has('fphp') || flags.has('asimdhp');
  } catch {
    return true;
  }
}

/** OnnxStream's default seed: (time(0) % 1024) * 1024. */
export function defaultSeed(): number {
  return (Math.floor(Date.now() / 1000) % 1024) * 1024;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
}

interface Request {
  x: Float32Array;
  sigma: number;
  resolve: (d: Float32Array) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects one denoiser call from every running sampler and serves them with one `runSamples` call
 * (all images, both guidance branches). Samplers run in lockstep on the same schedule.
 */
class UNetBatcher {
  #pending: Request[] = [];
  #active: number;
  constructor(
    active: number,
    private readonly runBatch: (reqs: Request[]) => Promise<Float32Array[]>,
  ) {
    this.#active = active;
  }

  denoise(x: Float32Array, sigma: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ x, sigma, resolve, reject });
      this.#flush();
    });
  }

  finished(): void {
    this.#active--;
    this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0 || this.#pending.length < this.#active) return;
    const reqs = this.#pending;
    this.#pending = [];
    this.runBatch(reqs).then(
      (outs) => {
        reqs.forEach((r, i) => {
          r.resolve(outs[i]);
        });
      },
      (e) => {
        for (const r of reqs) r.reject(e);
      },
    );
  }
}

export class StableDiffusionPipeline {
  readonly layout: ModelLayout;
  readonly tokenizer: ClipTokenizer;
  readonly #options: PipelineLoadOptions;
  readonly #fp16: boolean;
  readonly #factory: ModelRunnerFactory;

  private constructor(
    layout: ModelLayout,
    tokenizer: ClipTokenizer,
    options: PipelineLoadOptions,
    fp16: boolean,
  ) {
    this.layout = layout;
    this.tokenizer = tokenizer;
    this.#options = options;
    this.#fp16 = fp16;
    this.#factory = options.runnerFactory ?? coreRunnerFactory;
  }

  /** Reads a model folder's layout and tokenizer (models are opened when a stage needs them). */
  static async load(dir: string, options: PipelineLoadOptions = {}): Promise<StableDiffusionPipeline> {
    const layout = await resolveLayout(dir, { kind: options.kind });
    const tokenizer = await loadClipTokenizer(layout.tokenizer, { mode: options.tokenizerMode });
    const fp16 = options.lowMemory !== true && options.fp16 === true;
    return new StableDiffusionPipeline(layout, tokenizer, options, fp16);
  }

  get kind(): ModelKind {
    return this.layout.kind;
  }

  /** Whether the UNet (and SD 1.5 fp16 VAE) compute in float16. */
  get fp16Arithmetic(): boolean {
    return this.#fp16;
  }

  get isXl(): boolean {
    return this.layout.kind !== 'sd15';
  }

  get isTurbo(): boolean {
    return this.layout.kind === 'sdxl-turbo';
  }

  /** The default image size of the model family. */
  get defaultSize(): { width: number; height: number } {
    return this.layout.kind === 'sdxl' ? { width: 1024, height: 1024 } : { width: 512, height: 512 };
  }

  /** Pixel sizes must be multiples of this (SD 1.5 and Turbo 8, SDXL base 64). */
  get sizeMultiple(): number {
    return this.layout.kind === 'sdxl' ? 64 : 8;
  }

  get vaeScalingFactor(): number {
    return this.isXl ? SDXL_VAE_SCALING_FACTOR : SD15_VAE_SCALING_FACTOR;
  }

  /** Default tiling: SDXL yes, SD 1.5 when the folder has its tiled decoder. */
  get defaultTiled(): boolean {
    return this.isXl || this.layout.vaeDecoderTiled !== undefined;
  }

  async #open(
    component: ComponentName,
    model: ModelPath,
    settings: EngineSettings = {},
  ): Promise<ModelRunner> {
    return this.#factory(
      model,
      {
        backend: this.#options.backend,
        threads: this.#options.threads,
        weightsProvider: this.#options.weightsProvider?.(component),
        ...settings,
      },
      component,
    );
  }

  #unetSettings(): EngineSettings {
    const lowmemXl = this.#options.lowMemory === true && this.layout.kind === 'sdxl';
    return {
      fp16Arithmetic: this.#fp16,
      fp16Storage: lowmemXl || undefined,
      uint8Storage: lowmemXl ? lowMemoryUint8Names(this.layout.format) : undefined,
    };
  }

  /** Opens the UNet (structure only), e.g. to read its declared inputs. */
  openUNet(): Promise<ModelRunner> {
    return this.#open('unet', this.layout.unet, this.#unetSettings());
  }

  /**
   * Encodes prompts with the text encoder(s); all are aligned to one chunk count (`fixedChunks`, or
   * the longest prompt's).
   */
  async encodePrompts(
    prompts: readonly string[],
    fixedChunks?: number,
    signal?: AbortSignal,
  ): Promise<TextConditioning[]> {
    const run = { signal, onOperator: this.#options.onOperator };
    if (!this.isXl) {
      const te = await this.#open('text_encoder', this.layout.textEncoder);
      try {
        return await encodeSd15(te, this.tokenizer, prompts, fixedChunks, run);
      } finally {
        await te.release();
      }
    }
    const te1 = await this.#open('text_encoder', this.layout.textEncoder);
    try {
      const te2 = await this.#open('text_encoder_2', this.layout.textEncoder2!);
      try {
        return await encodeSdxl(te1, te2, this.tokenizer, prompts, fixedChunks, run);
      } finally {
        await te2.release();
      }
    } finally {
      await te1.release();
    }
  }

  /** The decoder and its settings for full or tiled decoding (reference sections 7.8, 7.10). */
  async #openDecoder(tiled: boolean): Promise<ModelRunner> {
    const l = this.layout;
    if (tiled && l.vaeDecoderTiled) return this.#open('vae_decoder_tiled', l.vaeDecoderTiled, {});
    if (this.isXl || l.format === 'diffusers') return this.#open('vae_decoder', l.vaeDecoder, {});
    if (this.#options.lowMemory && l.vaeDecoderQu8) {
      const rangeData: RangeData = parseRangeData(await readFile(l.rangeData!, 'utf8'), l.rangeData);
      return this.#open('vae_decoder', l.vaeDecoderQu8, { uint8Arithmetic: true, rangeData });
    }
    return this.#open('vae_decoder', l.vaeDecoder, { fp16Arithmetic: this.#fp16 });
  }

  /**
   * Decodes final latents (before VAE scaling, (4, lh, lw) each) into RGB images.
   * @param latentWidth - latent width (image width / 8).
   */
  async decodeLatents(
    latents: readonly Float32Array[],
    latentWidth: number,
    latentHeight: number,
    options: DecodeOptions = {},
  ): Promise<RgbImage[]> {
    const tile = options.tileSize ?? DEFAULT_TILE_SIZE;
    const tiled = (options.tiled ?? this.defaultTiled) && tilingApplies(latentWidth, latentHeight, tile);
    if (tiled && (latentWidth < tile || latentHeight < tile)) {
      throw new Error(
        `tiled decoding needs a latent of at least ${tile}x${tile} (an image of ${tile * 8}x${tile * 8}); decode without tiling`,
      );
    }
    const runner = await this.#openDecoder(tiled);
    try {
      return await this.#decodeWith(runner, latents, latentWidth, latentHeight, tiled, options);
    } finally {
      await runner.release();
    }
  }

  async #decodeWith(
    runner: ModelRunner,
    latents: readonly Float32Array[],
    lw: number,
    lh: number,
    tiled: boolean,
    options: DecodeOptions,
    report = true,
  ): Promise<RgbImage[]> {
    const images: RgbImage[] = [];
    const run = { signal: options.signal, onOperator: this.#options.onOperator };
    for (let k = 0; k < latents.length; k++) {
      checkAbort(options.signal);
      const scaled = unscaleLatent(latents[k], this.vaeScalingFactor);
      const planar = tiled
        ? await decodeTiled(runner, scaled, lw, lh, {
            ...run,
            tileSize: options.tileSize,
            tileOverlap: options.tileOverlap,
            onTile: report
              ? (done, total) =>
                  options.onProgress?.({
                    stage: 'vae',
                    step: k * total + done,
                    steps: latents.length * total,
                    image: k,
                  })
              : undefined,
          })
        : await decodeFull(runner, scaled, lw, lh, run);
      images.push(toPixels(planar, lw * 8, lh * 8));
      if (!tiled && report)
        options.onProgress?.({ stage: 'vae', step: k + 1, steps: latents.length, image: k });
    }
    return images;
  }

  /**
   * OnnxStream's `--decoder-calibrate` (SD 1.5, core engine): records the full decoder's activation
   * ranges on these (unscaled, final) latents. With `lowMemory` the W8A8 `vae_decoder_qu8` graph
   * runs in float32, otherwise `vae_decoder_fp16`. `formatRangeData` gives `range_data.txt`.
   */
  async calibrateDecoder(
    latents: readonly Float32Array[],
    latentWidth: number,
    latentHeight: number,
  ): Promise<RangeData> {
    const l = this.layout;
    const model = this.#options.lowMemory && l.vaeDecoderQu8 ? l.vaeDecoderQu8 : l.vaeDecoder;
    const session = await InferenceSession.create(model.path, {
      format: model.format,
      backend: this.#options.backend,
      threads: this.#options.threads,
    });
    try {
      const name = requireName(
        session.inputMetadata.map((m) => ({ name: m.name })),
        ['latent_sample', 'input.1', 'sample'],
        'VAE decoder input',
      );
      return await session.calibrate(
        latents.map((x) => ({
          [name]: new Tensor('float32', unscaleLatent(x, this.vaeScalingFactor), [
            1,
            4,
            latentHeight,
            latentWidth,
          ]),
        })),
      );
    } finally {
      await session.release();
    }
  }

  /** Text to image(s). */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const kind = this.layout.kind;
    const turbo = this.isTurbo;
    const width = options.width ?? this.defaultSize.width;
    const height = options.height ?? this.defaultSize.height;
    const m = this.sizeMultiple;
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < m || v % m !== 0)
        throw new RangeError(`${name} must be a positive multiple of ${m} for ${kind}, got ${v}`);
    }
    const steps = options.steps ?? 10;
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
    const num = options.num ?? 1;
    if (!Number.isInteger(num) || num < 1) throw new RangeError(`num must be an integer >= 1, got ${num}`);
    const samplerName = options.sampler ?? DEFAULT_SAMPLER;
    if (!isSamplerName(samplerName))
      throw new RangeError(`unknown sampler '${samplerName}'; expected one of: ${SAMPLER_NAMES.join(', ')}`);
    const sampler = getSampler(samplerName);
    const cfg = turbo ? 1 : (options.cfg ?? 7);
    const guided = cfg !== 1;
    const seed = options.seed ?? defaultSeed();
    const seeds = Array.from({ length: num }, (_, k) => seed + k);
    const lw = width / 8;
    const lh = height / 8;
    const size = 4 * lw * lh;
    const initNoise =
      options.initNoise === undefined
        ? undefined
        : options.initNoise instanceof Float32Array
          ? [options.initNoise]
          : options.initNoise;
    if (initNoise) {
      if (initNoise.length !== num)
        throw new RangeError(`initNoise has ${initNoise.length} latents for ${num} images`);
      for (const n of initNoise)
        if (n.length !== size)
          throw new RangeError(`initNoise latent has ${n.length} values, expected 4x${lh}x${lw}`);
    }
    const { signal, onProgress } = options;
    checkAbort(signal);

    const unet = await this.openUNet();
    let latents: Float32Array[];
    try {
      const sampleName = requireName(unet.inputs, ['sample'], 'UNet input');
      const tName = requireName(unet.inputs, ['timestep'], 'UNet input');
      const ctxName = requireName(unet.inputs, ['encoder_hidden_states'], 'UNet input');
      const sampleInfo = infoOf(unet.inputs, sampleName);
      const ss = sampleInfo?.shape;
      if (
        ss &&
        ss.length === 4 &&
        typeof ss[2] === 'number' &&
        typeof ss[3] === 'number' &&
        ss[2] > 0 &&
        ss[3] > 0
      ) {
        if (ss[2] !== lh || ss[3] !== lw) {
          throw new RangeError(
            `this UNet only takes ${ss[3] * 8}x${ss[2] * 8} images (its sample input is fixed at ${ss.join('x')}), got ${width}x${height}`,
          );
        }
      }
      const ctxShape = infoOf(unet.inputs, ctxName)?.shape;
      const ctxLen = ctxShape?.[1];
      const fixedChunks =
        typeof ctxLen === 'number' && ctxLen > 0 && ctxLen % 77 === 0 ? ctxLen / 77 : undefined;

      // Text.
      const prompts = turbo || !guided ? [options.prompt] : [options.negativePrompt ?? '', options.prompt];
      if (fixedChunks !== undefined) {
        const longest = Math.max(...prompts.map((p) => this.countChunks(p)));
        if (longest > fixedChunks)
          this.#options.onWarning?.(
            `prompt needs ${longest} chunks of 77 tokens but the UNet takes ${fixedChunks}: using the last ${fixedChunks}`,
          );
      }
      onProgress?.({ stage: 'text', step: 0, steps: prompts.length });
      const cond = await this.encodePrompts(prompts, fixedChunks, signal);
      onProgress?.({ stage: 'text', step: prompts.length, steps: prompts.length });
      options.trace?.onText?.(cond);
      const positive = cond[cond.length - 1];
      const negative = cond.length === 2 ? cond[0] : undefined;

      // UNet feeds shared by all evaluations.
      const ctxInfo = infoOf(unet.inputs, ctxName);
      const ctxFeeds = (negative ? [negative, positive] : [positive]).map((c) =>
        floatFeed(c.context, [1, c.tokens, c.width], ctxInfo),
      );
      const extraFeeds = (negative ? [negative, positive] : [positive]).map((c) => {
        if (!this.isXl) return {};
        const embName = requireName(unet.inputs, ['text_embeds'], 'SDXL UNet input');
        const idsName = requireName(unet.inputs, ['time_ids'], 'SDXL UNet input');
        const ids =
          options.timeIds === 'onnxstream'
            ? [1024, 1024, 0, 0, 1024, 1024]
            : [height, width, 0, 0, height, width];
        return {
          [embName]: floatFeed(c.pooled!, [1, c.pooled!.length], infoOf(unet.inputs, embName)),
          [idsName]: floatFeed(Float32Array.from(ids), [1, 6], infoOf(unet.inputs, idsName)),
        };
      });
      const tInfo = infoOf(unet.inputs, tName);
      const outName = unet.outputs[0].name;
      const branches = ctxFeeds.length;

      const runBatch = async (reqs: Request[]): Promise<Float32Array[]> => {
        checkAbort(signal);
        const feeds: Record<string, Tensor>[] = [];
        const inputs: Float32Array[] = [];
        const timesteps: number[] = [];
        for (const r of reqs) {
          const { cIn } = compVisScalings(r.sigma);
          const scaled = new Float32Array(size);
          for (let i = 0; i < size; i++) scaled[i] = r.x[i] * cIn;
          const t = sigmaToTimestep(r.sigma);
          timesteps.push(t);
          for (let b = 0; b < branches; b++) {
            inputs.push(scaled);
            feeds.push({
              [sampleName]: floatFeed(scaled, [1, 4, lh, lw], sampleInfo),
              [tName]: timestepFeed(t, tInfo),
              [ctxName]: ctxFeeds[b],
              ...extraFeeds[b],
            });
          }
        }
        const runOptions = { outputs: [outName], signal, onOperator: this.#options.onOperator };
        let results: Record<string, Tensor>[];
        if (branches === 2 && this.#options.guidanceBatch !== true) {
          // One run per branch (feeds alternate branch 0, branch 1), outputs back in feed order.
          const [first, second] = [0, 1].map((b) => feeds.filter((_, i) => i % 2 === b));
          const a = await unet.run(first, runOptions);
          const b = await unet.run(second, runOptions);
          results = feeds.map((_, i) => (i % 2 === 0 ? a : b)[i >> 1]);
        } else {
          results = await unet.run(feeds, runOptions);
        }
        const eps = results.map((r) => floats(r[outName], 'UNet'));
        options.trace?.onUnet?.({ sigma: reqs[0].sigma, timestep: timesteps[0], inputs, outputs: eps });
        return reqs.map((r, k) => {
          const { cOut } = compVisScalings(r.sigma);
          const den = (e: Float32Array) => {
            if (e.length !== size) throw new Error(`UNet returned ${e.length} values, expected ${size}`);
            const out = new Float32Array(size);
            for (let i = 0; i < size; i++) out[i] = r.x[i] + e[i] * cOut;
            return out;
          };
          if (branches === 1) return den(eps[k]);
          return classifierFreeGuidance(den(eps[2 * k]), den(eps[2 * k + 1]), cfg);
        });
      };

      const batcher = new UNetBatcher(num, runBatch);
      const sigmas = defaultSigmas(steps);
      const factors = this.isXl ? SDXL_LATENT_RGB_FACTORS : SD15_LATENT_RGB_FACTORS;
      let vaeForPreview: ModelRunner | undefined;
      const previewOf = async (x: Float32Array): Promise<RgbImage | undefined> => {
        if (options.preview === 'latent') return latentPreview(x, lw, lh, factors);
        if (options.preview === 'latent-x8') return upscaleNearest(latentPreview(x, lw, lh, factors), 8);
        if (options.preview === 'vae') {
          const tile = options.tileSize ?? DEFAULT_TILE_SIZE;
          const tiled = (options.tiled ?? this.defaultTiled) && tilingApplies(lw, lh, tile);
          vaeForPreview ??= await this.#openDecoder(tiled);
          const [img] = await this.#decodeWith(vaeForPreview, [x], lw, lh, tiled, { ...options }, false);
          return img;
        }
        return undefined;
      };
      try {
        latents = await Promise.all(
          seeds.map(async (s, k) => {
            try {
              const rng: NoiseSource = options.rng === 'philox' ? philoxNoise(s) : onnxstreamNoise(s);
              const given = initNoise?.[k];
              const noise: NoiseSource = given
                ? { initial: () => given.slice(), step: (n) => rng.step(n) }
                : rng;
              const x0 = noise.initial(size);
              const s0 = sigmas[0];
              for (let i = 0; i < size; i++) x0[i] *= s0;
              return await sampler((x, sigma) => batcher.denoise(x, sigma), x0, {
                sigmas,
                noise,
                turbo,
                variant: options.samplerVariant,
                signal,
                onStep: async (info) => {
                  const last = info.step === info.steps - 1;
                  const preview =
                    options.preview && !(options.preview === 'vae' && last)
                      ? await previewOf(info.x)
                      : undefined;
                  onProgress?.({ stage: 'unet', step: info.step + 1, steps: info.steps, image: k, preview });
                },
              });
            } finally {
              batcher.finished();
            }
          }),
        );
      } finally {
        await vaeForPreview?.release();
      }
    } finally {
      await unet.release();
    }

    const images = options.skipDecode
      ? []
      : await this.decodeLatents(latents, lw, lh, {
          tiled: options.tiled,
          tileSize: options.tileSize,
          tileOverlap: options.tileOverlap,
          signal,
          onProgress,
        });
    return { images, latents, seeds, width, height };
  }

  /** Number of 77-token chunks a prompt takes. */
  countChunks(prompt: string): number {
    return promptToChunks(this.tokenizer, prompt).length;
  }
}
