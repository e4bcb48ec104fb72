/**
 * `onnxstream sd`: Stable Diffusion 1.5 / SDXL / SDXL Turbo text-to-image with OnnxStream's options
 * (same names, defaults and meanings, reference section 7.11) plus --cfg, --width/--height, --rng,
 * --init-noise, --save-latents/--decode-latents as .npy, --json and --backend.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { formatRangeData } from '@onnxstream/core';
import { createProvider } from '@onnxstream/providers';
import {
  type ComponentName,
  DownloadError,
  type DownloadMode,
  type DownloadProgress,
  decodeLatentsNpy,
  defaultCacheDir,
  defaultSeed,
  downloadModel,
  encodeLatentsNpy,
  encodePng,
  formatParameters,
  isSamplerName,
  type ModelKind,
  ONNXSTREAM_REPOS,
  type ProgressEvent,
  type RgbImage,
  repoFolderName,
  resolveLayout,
  SAMPLER_NAMES,
  StableDiffusionPipeline,
} from '@onnxstream/stable-diffusion';
import { type BackendChoice, chooseBackend } from '../backends.js';
import { UsageError } from '../usage.js';

export interface SdCommandOptions {
  xl?: boolean;
  turbo?: boolean;
  modelsPath?: string;
  threads?: string;
  opsPrintf?: boolean;
  output: string;
  decodeLatents?: string;
  prompt: string;
  negPrompt: string;
  steps: string;
  num: string;
  seed?: string;
  saveLatents?: string;
  decoderCalibrate?: boolean;
  notTiled?: boolean;
  res?: string;
  ram?: boolean;
  download: string | boolean;
  curlParallel: string;
  rpi: string | boolean;
  rpiLowmem?: boolean;
  previewSteps?: boolean;
  previewStepsX8?: boolean;
  previewSteps8x?: boolean;
  decodeSteps?: boolean;
  embedParameters?: boolean;
  sampler: string;
  cfg?: string;
  cfgBatch?: boolean;
  width?: string;
  height?: string;
  rng: string;
  initNoise?: string;
  json?: boolean;
  backend: BackendChoice;
  tokenizerMode?: 'clip' | 'onnxstream';
  disableDownload?: boolean;
  disableRpi?: boolean;
}

export const SD_DEFAULT_PROMPT = 'a photo of an astronaut riding a horse on mars';
export const SD_DEFAULT_NEG_PROMPT = 'ugly, blurry';

function int(flag: string, value: string | undefined, min = Number.NEGATIVE_INFINITY): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `${flag} expects an integer${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got '${value}'`,
    );
  return n;
}

/** `--download [a|f|n|d]`: no value = force; OnnxStream's single letters and the full words. */
export function downloadMode(value: string | boolean, disabled?: boolean): DownloadMode {
  if (disabled) return 'never';
  if (value === true) return 'force';
  const v = String(value).toLowerCase();
  if (v === 'a' || v === 'auto') return 'auto';
  if (v === 'f' || v === 'force' || v === 'y' || v === 'yes') return 'force';
  if (v === 'n' || v === 'never' || v === 'd' || v === 'disable' || v === 'no') return 'never';
  throw new UsageError(`--download expects auto, force or never (a, f, n, d), got '${value}'`);
}

/** `--rpi [a|y|f|n|d]`: no value = yes; true = fp32 arithmetic. */
export function rpiMode(value: string | boolean, disabled?: boolean): boolean | 'auto' {
  if (disabled) return false;
  if (value === true) return true;
  const v = String(value).toLowerCase();
  if (v === 'a' || v === 'auto') return 'auto';
  if (v === 'y' || v === 'yes' || v === 'f' || v === 'force') return true;
  if (v === 'n' || v === 'no' || v === 'd' || v === 'disable') return false;
  throw new UsageError(`--rpi expects auto, yes, force, no or disable (a, y, f, n, d), got '${value}'`);
}

function parseRes(res: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(res);
  if (!m) throw new UsageError(`--res expects WxH, e.g. 512x512, got '${res}'`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** `--threads`: > 0 exact, <= 0 all cores + N (at least 1). */
function threadsOf(value: string | undefined): number | undefined {
  const n = int('--threads', value);
  if (n === undefined) return undefined;
  return n > 0 ? n : Math.max(1, availableParallelism() + n);
}

/** A progress bar per stage on stderr: redrawn in place on a terminal, one line per finished stage otherwise. */
class StageBars {
  #stage = '';
  readonly #tty = process.stderr.isTTY === true;
  constructor(private readonly enabled: boolean) {}

  update(label: string, done: number, total: number, extra = ''): void {
    if (!this.enabled) return;
    if (this.#tty) {
      const width = 30;
      const fill = total > 0 ? Math.round((width * done) / total) : 0;
      if (label !== this.#stage && this.#stage !== '') process.stderr.write('\n');
      process.stderr.write(
        `\r${label.padEnd(10)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}${extra}`,
      );
    } else if (done === total) {
      process.stderr.write(`${label} ${done}/${total}${extra}\n`);
    }
    this.#stage = label;
  }

  end(): void {
    if (this.enabled && this.#tty && this.#stage !== '') process.stderr.write('\n');
    this.#stage = '';
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Where the model is: --models-path (or ./, as OnnxStream), else the user's cache, downloading as allowed. */
async function locateModels(
  kind: ModelKind,
  opts: SdCommandOptions,
  mode: DownloadMode,
  bars: StageBars,
): Promise<string> {
  const repo = ONNXSTREAM_REPOS[kind];
  const given = opts.modelsPath;
  const found = async (root: string) => {
    try {
      await resolveLayout(root, { kind });
      return true;
    } catch {
      return false;
    }
  };
  if (mode !== 'force') {
    if (given !== undefined && (await found(given))) return given;
    if (given === undefined && (await found('.'))) return '.';
  }
  const root = given ?? defaultCacheDir();
  if (mode !== 'force' && given === undefined && (await found(root))) return root;
  if (mode === 'never') {
    throw new UsageError(
      `no ${kind} model in '${given ?? `. or ${root}`}' and --download never: point --models-path at a folder with ${repo}'s files (or a diffusers ONNX export)`,
    );
  }
  const dest = join(root, repoFolderName(repo));
  const endpoint = (process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  try {
    await downloadModel({
      repo,
      dest,
      kind,
      mode,
      endpoint,
      parallel: int('--curl-parallel', opts.curlParallel, 1),
      onProgress: (p: DownloadProgress) =>
        bars.update(
          p.phase === 'text' ? 'download' : 'weights',
          p.files,
          p.totalFiles,
          p.totalBytes !== undefined ? ` (${mib(p.bytes)} of ${mib(p.totalBytes)})` : ` (${mib(p.bytes)})`,
        ),
    });
  } catch (e) {
    bars.end();
    if (e instanceof DownloadError && e.offline) {
      throw new UsageError(
        `cannot download ${repo} from ${endpoint} (${e.message.replace(/^cannot download \S+: /, '')}). ` +
          `To use local weights, pass --models-path <folder> holding the model files (OnnxStream's layout or a diffusers ONNX export), or --download never.`,
      );
    }
    throw e;
  }
  bars.end();
  return root;
}

/** The providers of OnnxStream's configurations (reference section 7.10). */
function providerFor(kind: ModelKind, opts: SdCommandOptions) {
  return (component: ComponentName) => {
    if (component === 'unet')
      return createProvider(opts.ram ? 'ram' : opts.rpiLowmem ? 'nocache' : 'prefetch');
    if (component === 'vae_decoder' && kind === 'sd15') return createProvider('nocache');
    return createProvider('prefetch');
  };
}

function withAppendix(output: string, appendix: string): string {
  return `${output}${appendix}${extname(output) || '.png'}`;
}

function imagePath(output: string, k: number, num: number): string {
  if (num === 1) return output;
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}_${k}${ext}`);
}

/** `onnxstream sd`. */
export async function sdCommand(opts: SdCommandOptions): Promise<number> {
  const start = performance.now();
  const kind: ModelKind = opts.turbo ? 'sdxl-turbo' : opts.xl ? 'sdxl' : 'sd15';
  const turbo = kind === 'sdxl-turbo';
  const steps = int('--steps', opts.steps, 1)!;
  if (steps < 3 && !turbo) throw new UsageError('--steps must be at least 3 (unless --turbo)');
  const num = int('--num', opts.num, 1)!;
  if (!isSamplerName(opts.sampler))
    throw new UsageError(
      `--sampler: unknown '${opts.sampler}'; expected one of: ${SAMPLER_NAMES.join(', ')}`,
    );
  if (opts.rng !== 'onnxstream' && opts.rng !== 'philox')
    throw new UsageError(`--rng expects onnxstream or philox, got '${opts.rng}'`);
  const cfg = opts.cfg === undefined ? undefined : Number(opts.cfg);
  if (cfg !== undefined && !Number.isFinite(cfg))
    throw new UsageError(`--cfg expects a number, got '${opts.cfg}'`);
  const mode = downloadMode(opts.download, opts.disableDownload);
  const rpi = opts.rpiLowmem ? true : rpiMode(opts.rpi, opts.disableRpi);
  const bars = new StageBars(!opts.json);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const modelsPath = await locateModels(kind, opts, mode, bars);
  const backend = await chooseBackend(opts.backend, log);
  // Lowest memory: freed native blocks go back to the system but for a few MiB kept for reuse
  // (instead of up to 64 MiB; the price is a page fault per page of most new tensors).
  if (opts.rpiLowmem && backend === 'native') {
    const { setBufferCache, LOW_MEMORY_BUFFER_CACHE } = await import('@onnxstream/native');
    setBufferCache(LOW_MEMORY_BUFFER_CACHE);
  }
  // Node's default young generation holds ~30 MB of heap pages without live data by the end of a
  // streamed UNet evaluation; only a flag given at start-up bounds it.
  if (
    opts.rpiLowmem &&
    !/--max-semi-space-size/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)
  )
    log(
      'for the lowest memory, start Node with --max-semi-space-size=1 (NODE_OPTIONS=--max-semi-space-size=1): about 25 MB less',
    );
  const pipe = await StableDiffusionPipeline.load(modelsPath, {
    kind,
    backend,
    threads: threadsOf(opts.threads),
    fp16: rpi === 'auto' ? 'auto' : !rpi,
    lowMemory: opts.rpiLowmem,
    guidanceBatch: opts.cfgBatch,
    weightsProvider: providerFor(kind, opts),
    tokenizerMode: opts.tokenizerMode,
    onOperator: opts.opsPrintf ? (type, name) => log(`${type}: ${name}`) : undefined,
    onWarning: (w) => log(`onnxstream: ${w}`),
  });
  const size = opts.res ? parseRes(opts.res) : pipe.defaultSize;
  const width = int('--width', opts.width, 8) ?? size.width;
  const height = int('--height', opts.height, 8) ?? size.height;
  const tiled = opts.notTiled || opts.ram ? false : undefined;
  const model = pipe.layout.root;
  const onProgress = (e: ProgressEvent) => {
    if (e.stage === 'unet' && num > 1 && e.image !== num - 1) return;
    bars.update(e.stage === 'text' ? 'text' : e.stage === 'unet' ? 'unet' : 'vae', e.step, e.steps);
  };

  let latents: Float32Array[];
  let images: RgbImage[];
  let seeds: number[];
  let lw: number;
  let lh: number;
  const files: string[] = [];
  if (opts.decodeLatents) {
    const bytes = await readFile(opts.decodeLatents).catch((e: Error) => {
      throw new UsageError(`--decode-latents: cannot read '${opts.decodeLatents}': ${e.message}`);
    });
    if (bytes[0] === 0x93 && bytes.subarray(1, 6).toString() === 'NUMPY') {
      const d = decodeLatentsNpy(bytes, opts.decodeLatents);
      ({ latents } = d);
      lw = d.latentWidth;
      lh = d.latentHeight;
    } else {
      // OnnxStream's raw float32 dump of (4, H/8, W/8).
      lw = width / 8;
      lh = height / 8;
      const n = 4 * lw * lh;
      if (bytes.length !== n * 4)
        throw new UsageError(
          `--decode-latents: raw file has ${bytes.length} bytes, ${width}x${height} needs ${n * 4}`,
        );
      latents = [new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))];
    }
    seeds = [];
    images = await pipe.decodeLatents(latents, lw, lh, { tiled, onProgress });
  } else {
    let initNoise: Float32Array[] | undefined;
    if (opts.initNoise) {
      const bytes = await readFile(opts.initNoise).catch((e: Error) => {
        throw new UsageError(`--init-noise: cannot read '${opts.initNoise}': ${e.message}`);
      });
      const d = decodeLatentsNpy(bytes, opts.initNoise);
      if (d.latentWidth * 8 !== width || d.latentHeight * 8 !== height)
        throw new UsageError(
          `--init-noise is ${d.latentWidth * 8}x${d.latentHeight * 8}, the image ${width}x${height}`,
        );
      initNoise = d.latents.length === 1 && num > 1 ? undefined : d.latents;
      if (!initNoise) throw new UsageError(`--init-noise holds 1 latent for --num ${num}`);
    }
    const seed = int('--seed', opts.seed) ?? defaultSeed();
    const previews =
      opts.previewStepsX8 || opts.previewSteps8x ? 'latent-x8' : opts.previewSteps ? 'latent' : undefined;
    const preview = opts.decodeSteps ? 'vae' : previews;
    const pending: Promise<void>[] = [];
    const result = await pipe.generate({
      prompt: opts.prompt,
      negativePrompt: opts.negPrompt,
      steps,
      cfg,
      seed,
      width,
      height,
      sampler: opts.sampler,
      rng: opts.rng,
      initNoise,
      num,
      preview,
      tiled,
      onProgress: (e) => {
        onProgress(e);
        if (e.preview && e.image !== undefined) {
          const file = withAppendix(imagePath(opts.output, e.image, num), `_preview_${e.step}`);
          pending.push(
            mkdir(dirname(file), { recursive: true }).then(() => writeFile(file, encodePng(e.preview!))),
          );
        }
      },
    });
    await Promise.all(pending);
    ({ latents, images, seeds } = result);
    lw = width / 8;
    lh = height / 8;
    if (opts.saveLatents) {
      const data = opts.saveLatents.endsWith('.npy')
        ? encodeLatentsNpy(latents, lw, lh)
        : new Uint8Array(latents[0].buffer, latents[0].byteOffset, latents[0].byteLength);
      await mkdir(dirname(opts.saveLatents), { recursive: true });
      await writeFile(opts.saveLatents, data);
    }
    if (opts.decoderCalibrate) {
      if (kind !== 'sd15' || !pipe.layout.rangeData)
        throw new UsageError('--decoder-calibrate is for SD 1.5 OnnxStream folders');
      await writeFile(pipe.layout.rangeData, formatRangeData(await pipe.calibrateDecoder(latents, lw, lh)));
      log(`onnxstream: wrote ${pipe.layout.rangeData}`);
    }
  }
  bars.end();
  for (let k = 0; k < images.length; k++) {
    const file = imagePath(opts.output, k, images.length);
    const parameters =
      opts.embedParameters && !opts.decodeLatents
        ? formatParameters({
            prompt: opts.prompt,
            negativePrompt: turbo ? undefined : opts.negPrompt,
            steps,
            seed: seeds[k],
            width: images[k].width,
            height: images[k].height,
            model,
            kind,
            sampler: opts.sampler,
            cfg: turbo ? undefined : (cfg ?? 7),
          })
        : undefined;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, encodePng(images[k], { parameters }));
    files.push(file);
  }
  const elapsedMs = Math.round(performance.now() - start);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        kind,
        model,
        images: files,
        seeds,
        width: lw * 8,
        height: lh * 8,
        steps,
        sampler: opts.sampler,
        latents: opts.saveLatents,
        elapsedMs,
        peakRssBytes,
      })}\n`,
    );
  } else {
    for (const f of files) process.stdout.write(`wrote ${f}\n`);
    process.stdout.write(`elapsed: ${(elapsedMs / 1000).toFixed(2)} s, peak RSS: ${mib(peakRssBytes)}\n`);
  }
  return 0;
}
