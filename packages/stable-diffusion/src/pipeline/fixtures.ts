/**
 * Tiny SD 1.5 and SDXL model folders for tests and demos: the real architectures (CLIP text encoders,
 * UNets, VAE decoder) at tiny widths with seeded random weights and the real CLIP vocabulary (49408),
 * in diffusers' ONNX layout (`makeSdModels`) or converted into OnnxStream's published layouts
 * (`@onnxstream/core/onnx` converter: fp32 text encoders, fp16 UNet and VAE, SD 1.5's uint8 VAE with
 * its range_data.txt). The .onnx graph each OnnxStream folder was converted from stays in
 * `_onnx/<folder>.onnx` ({@link onnxSourceOf}). Node.js only; not exported from the package entry.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { GraphSpec } from '../architecture/graph-builder.js';
import { buildSdComponent, makeSdModels, type SdComponent } from '../architecture/make-models.js';
import { writeOnnxModel } from '../architecture/onnx-writer.js';
import {
  type TextEncoderConfig,
  TINY_SDXL_TEXT_ENCODER,
  TINY_SDXL_TEXT_ENCODER_2,
  TINY_TEXT_ENCODER,
} from '../architecture/text-encoder.js';
import { TINY_SDXL_UNET, TINY_UNET, type UNetConfig } from '../architecture/unet.js';
import { buildVaeDecoder, TINY_VAE_DECODER, type VaeDecoderConfig } from '../architecture/vae-decoder.js';

interface TinyModelOptions {
  /** 'diffusers' (default) or 'onnxstream'. */
  readonly format?: 'diffusers' | 'onnxstream';
  /** Folder with vocab.json / vocab.txt and merges.txt (the real CLIP files). */
  readonly clipDir: string;
  /** Latent size the UNet and decoder are built for (default 8, i.e. 64x64 images). */
  readonly latent?: number;
  readonly seed?: number;
}

export interface TinySd15Options extends TinyModelOptions {
  /** Text encoder width (default 32). */
  readonly hidden?: number;
  /** UNet context length (default 77; 154 takes two prompt chunks). */
  readonly contextLength?: number;
  /**
   * OnnxStream layout: also write `vae_decoder_fp16_l32`, the tiled decoder, built for latents of this
   * size (OnnxStream's is 32).
   */
  readonly tiledLatent?: number;
}

export interface TinySdxlOptions extends TinyModelOptions {
  /**
   * 'sdxl' (default) or 'sdxl-turbo': the same architectures; Turbo's UNet and VAE decoder take any
   * latent size, as OnnxStream's "anyshape" models (in both layouts; `latent` is then only the size
   * they are nominally built at), and OnnxStream's layout uses Turbo's folder names.
   */
  readonly kind?: 'sdxl' | 'sdxl-turbo';
  /**
   * Latent size of SDXL base's tiled decoder, `sdxl_vae_decoder_32x32_fp16` in OnnxStream's layout
   * (default 4; OnnxStream's is 32).
   */
  readonly tiledLatent?: number;
}

/** The .onnx graph (float32 weights) the fixture's OnnxStream model folder `folder` was converted from. */
export function onnxSourceOf(folder: string): string {
  return join(dirname(folder), '_onnx', `${basename(folder)}.onnx`);
}

const square = (latent: number) => ({ latentHeight: latent, latentWidth: latent });

/** Copies the CLIP vocabulary (vocab.json for diffusers, vocab.txt for OnnxStream) and merges into `dest`. */
async function copyTokenizer(
  clipDir: string,
  dest: string,
  format: 'diffusers' | 'onnxstream',
): Promise<void> {
  await mkdir(dest, { recursive: true });
  const vocab = format === 'onnxstream' ? 'vocab.txt' : 'vocab.json';
  for (const file of [vocab, 'merges.txt']) await copyFile(join(clipDir, file), join(dest, file));
}

/** Writes `graph` to `_onnx/<folder>.onnx` and converts it into OnnxStream's folder `<dir>/<folder>`. */
async function writeOnnxStreamFolder(
  dir: string,
  folder: string,
  graph: GraphSpec,
  seed: number,
  weights: { readonly fp16?: boolean; readonly uint8?: boolean } = {},
): Promise<void> {
  const { convertOnnxFile } = await import('@onnxstream/core/onnx');
  const source = onnxSourceOf(join(dir, folder));
  await mkdir(dirname(source), { recursive: true });
  await writeOnnxModel(graph, source, { seed });
  await convertOnnxFile(source, join(dir, folder), weights);
}

/** Writes a tiny SD 1.5 model folder at `dir`; returns `dir`. */
export async function writeTinySd15(dir: string, options: TinySd15Options): Promise<string> {
  const latent = options.latent ?? 8;
  const hidden = options.hidden ?? 32;
  const seed = options.seed ?? 1234;
  const format = options.format ?? 'diffusers';
  const textEncoder: TextEncoderConfig = { ...TINY_TEXT_ENCODER, hidden, naming: format };
  const unet: UNetConfig = {
    ...TINY_UNET,
    crossAttentionDim: hidden,
    contextLength: options.contextLength ?? 77,
    ...square(latent),
  };
  const vaeDecoder: VaeDecoderConfig = { ...TINY_VAE_DECODER, ...square(latent), naming: format };
  await copyTokenizer(options.clipDir, join(dir, 'tokenizer'), format);
  if (format === 'diffusers') {
    await makeSdModels(dir, { seed, textEncoder, unet, vaeDecoder });
    return dir;
  }
  const build = (c: SdComponent) => buildSdComponent('sd15', c, { textEncoder, unet, vaeDecoder });
  await writeOnnxStreamFolder(dir, 'text_encoder_fp32', build('text_encoder'), seed);
  await writeOnnxStreamFolder(dir, 'unet_fp16', build('unet'), seed, { fp16: true });
  await writeOnnxStreamFolder(dir, 'vae_decoder_fp16', build('vae_decoder'), seed, { fp16: true });
  await writeOnnxStreamFolder(dir, 'vae_decoder_qu8', build('vae_decoder'), seed, { uint8: true });
  if (options.tiledLatent !== undefined) {
    const tiled = buildVaeDecoder({ ...vaeDecoder, ...square(options.tiledLatent) });
    await writeOnnxStreamFolder(dir, 'vae_decoder_fp16_l32', tiled, seed, { fp16: true });
  }
  // Activation ranges of the W8A8 decoder, calibrated on a few latents (OnnxStream's --decoder-calibrate).
  const { InferenceSession, Tensor, formatRangeData } = await import('@onnxstream/core');
  const session = await InferenceSession.create(join(dir, 'vae_decoder_qu8'));
  try {
    const n = 4 * latent * latent;
    const input = session.inputNames[0];
    const feeds = [0, 1, 2].map((k) => ({
      [input]: new Tensor(
        'float32',
        Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * 4),
        [1, 4, latent, latent],
      ),
    }));
    const ranges = await session.calibrate(feeds);
    await writeFile(join(dir, 'vae_decoder_qu8', 'range_data.txt'), formatRangeData(ranges));
  } finally {
    await session.release();
  }
  return dir;
}

/**
 * Writes a tiny SDXL (or SDXL Turbo) model folder at `dir`; returns `dir`. Text encoders of widths 32
 * and 48 (context 80, pooled 48), the tiny SDXL UNet (OnnxStream's inside the `unet` wrapper scope),
 * SD 1.5's tiny VAE decoder (`latent_sample` in both layouts, as SDXL's). Diffusers: `tokenizer`,
 * `tokenizer_2`, `text_encoder`, `text_encoder_2`, `unet`, `vae_decoder`. OnnxStream: `sdxl_tokenizer`,
 * `sdxl_text_encoder_{1,2}_fp32`, and `sdxl_unet_fp16`, `sdxl_vae_decoder_fp16`,
 * `sdxl_vae_decoder_32x32_fp16` (base; static shapes, built for `latent` and `tiledLatent`) or
 * `sdxl_unet_anyshape_fp16`, `sdxl_vae_decoder_anyshape_fp16` (Turbo). Turbo's UNet and decoder, in
 * either layout, have dynamic spatial dims (symbolic in the .onnx, 0 in model.txt): one UNet for every
 * size (latent sides multiples of 4, as the tiny UNet halves them twice) and one decoder for whole
 * latents and tiles alike.
 */
export async function writeTinySdxl(dir: string, options: TinySdxlOptions): Promise<string> {
  const latent = options.latent ?? 8;
  const seed = options.seed ?? 1234;
  const onnxstream = options.format === 'onnxstream';
  const turbo = options.kind === 'sdxl-turbo';
  const naming = onnxstream ? 'onnxstream-xl' : 'diffusers';
  const models = {
    textEncoder: { ...TINY_SDXL_TEXT_ENCODER, naming },
    textEncoder2: { ...TINY_SDXL_TEXT_ENCODER_2, naming },
    unet: { ...TINY_SDXL_UNET, ...square(latent), scope: onnxstream ? 'unet' : '', dynamicSize: turbo },
    vaeDecoder: { ...TINY_VAE_DECODER, ...square(latent), dynamicSize: turbo },
  } as const;
  if (!onnxstream) {
    await copyTokenizer(options.clipDir, join(dir, 'tokenizer'), 'diffusers');
    await copyTokenizer(options.clipDir, join(dir, 'tokenizer_2'), 'diffusers');
    await makeSdModels(dir, { architecture: 'sdxl', seed, ...models });
    return dir;
  }
  await copyTokenizer(options.clipDir, join(dir, 'sdxl_tokenizer'), 'onnxstream');
  const build = (c: SdComponent) => buildSdComponent('sdxl', c, models);
  await writeOnnxStreamFolder(dir, 'sdxl_text_encoder_1_fp32', build('text_encoder'), seed);
  await writeOnnxStreamFolder(dir, 'sdxl_text_encoder_2_fp32', build('text_encoder_2'), seed);
  const fp16 = { fp16: true };
  if (turbo) {
    await writeOnnxStreamFolder(dir, 'sdxl_unet_anyshape_fp16', build('unet'), seed, fp16);
    await writeOnnxStreamFolder(dir, 'sdxl_vae_decoder_anyshape_fp16', build('vae_decoder'), seed, fp16);
    return dir;
  }
  await writeOnnxStreamFolder(dir, 'sdxl_unet_fp16', build('unet'), seed, fp16);
  const tiled = buildVaeDecoder({ ...models.vaeDecoder, ...square(options.tiledLatent ?? 4) });
  await writeOnnxStreamFolder(dir, 'sdxl_vae_decoder_32x32_fp16', tiled, seed, fp16);
  await writeOnnxStreamFolder(dir, 'sdxl_vae_decoder_fp16', build('vae_decoder'), seed, fp16);
  return dir;
}
