/**
 * Tiny SD 1.5 model folders for tests and demos: the real architectures (CLIP text encoder, UNet,
 * VAE decoder) at tiny widths with seeded random weights and the real CLIP vocabulary (49408), in
 * diffusers' ONNX layout or converted into OnnxStream's published layout (`@onnxstream/core/onnx`
 * converter: fp32 text encoder, fp16 UNet and VAE, uint8 VAE with its range_data.txt; the source
 * .onnx files stay in `_onnx/`). Node.js only; not exported from the package entry.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeOnnxModel } from '../architecture/onnx-writer.js';
import { buildTextEncoder, TINY_TEXT_ENCODER } from '../architecture/text-encoder.js';
import { buildUNet, TINY_UNET } from '../architecture/unet.js';
import { buildVaeDecoder, TINY_VAE_DECODER } from '../architecture/vae-decoder.js';

export interface TinySd15Options {
  /** 'diffusers' (default) or 'onnxstream'. */
  readonly format?: 'diffusers' | 'onnxstream';
  /** Folder with vocab.json / vocab.txt and merges.txt (the real CLIP files). */
  readonly clipDir: string;
  /** Latent size the UNet and decoder are built for (default 8, i.e. 64x64 images). */
  readonly latent?: number;
  /** Text encoder width (default 32). */
  readonly hidden?: number;
  /** UNet context length (default 77; 154 takes two prompt chunks). */
  readonly contextLength?: number;
  readonly seed?: number;
  /**
   * OnnxStream layout: also write `vae_decoder_fp16_l32`, the tiled decoder, built for latents of this
   * size (OnnxStream's is 32).
   */
  readonly tiledLatent?: number;
}

/** Writes a tiny SD 1.5 model folder at `dir`; returns `dir`. */
export async function writeTinySd15(dir: string, options: TinySd15Options): Promise<string> {
  const latent = options.latent ?? 8;
  const hidden = options.hidden ?? 32;
  const seed = options.seed ?? 1234;
  const onnxstream = options.format === 'onnxstream';
  const naming = onnxstream ? 'onnxstream' : 'diffusers';
  const te = buildTextEncoder({ ...TINY_TEXT_ENCODER, hidden, naming });
  const unet = buildUNet({
    ...TINY_UNET,
    crossAttentionDim: hidden,
    contextLength: options.contextLength ?? 77,
    latentHeight: latent,
    latentWidth: latent,
  });
  const vae = buildVaeDecoder({ ...TINY_VAE_DECODER, latentHeight: latent, latentWidth: latent, naming });
  const tok = join(dir, 'tokenizer');
  await mkdir(tok, { recursive: true });
  await copyFile(join(options.clipDir, 'merges.txt'), join(tok, 'merges.txt'));
  if (!onnxstream) {
    await copyFile(join(options.clipDir, 'vocab.json'), join(tok, 'vocab.json'));
    for (const [name, graph] of [
      ['text_encoder', te],
      ['unet', unet],
      ['vae_decoder', vae],
    ] as const) {
      await mkdir(join(dir, name), { recursive: true });
      await writeOnnxModel(graph, join(dir, name, 'model.onnx'), { seed });
    }
    return dir;
  }
  await copyFile(join(options.clipDir, 'vocab.txt'), join(tok, 'vocab.txt'));
  const { convertOnnxFile } = await import('@onnxstream/core/onnx');
  const src = join(dir, '_onnx');
  await mkdir(src, { recursive: true });
  const teOnnx = join(src, 'text_encoder.onnx');
  const unetOnnx = join(src, 'unet.onnx');
  const vaeOnnx = join(src, 'vae_decoder.onnx');
  await writeOnnxModel(te, teOnnx, { seed });
  await writeOnnxModel(unet, unetOnnx, { seed });
  await writeOnnxModel(vae, vaeOnnx, { seed });
  await convertOnnxFile(teOnnx, join(dir, 'text_encoder_fp32'));
  await convertOnnxFile(unetOnnx, join(dir, 'unet_fp16'), { fp16: true });
  await convertOnnxFile(vaeOnnx, join(dir, 'vae_decoder_fp16'), { fp16: true });
  await convertOnnxFile(vaeOnnx, join(dir, 'vae_decoder_qu8'), { uint8: true });
  if (options.tiledLatent !== undefined) {
    const t = options.tiledLatent;
    const l32 = join(src, 'vae_decoder_l32.onnx');
    await writeOnnxModel(
      buildVaeDecoder({ ...TINY_VAE_DECODER, latentHeight: t, latentWidth: t, naming }),
      l32,
      {
        seed,
      },
    );
    await convertOnnxFile(l32, join(dir, 'vae_decoder_fp16_l32'), { fp16: true });
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
