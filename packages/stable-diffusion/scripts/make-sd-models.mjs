#!/usr/bin/env node
/**
 * Writes full-size Stable Diffusion 1.5 (or SDXL) models with random weights (same architecture,
 * tensor names and I/O names as the real exports) for benchmarks:
 *
 *   <dir>/text_encoder/model.onnx + model.onnx_data   CLIP ViT-L/14 text model, 123,060,480 params
 *   <dir>/unet/model.onnx + model.onnx_data           UNet2DConditionModel, 859,520,964 params
 *   <dir>/vae_decoder/model.onnx + model.onnx_data    post_quant_conv + Decoder, 49,490,199 params
 *
 * With --xl: the SDXL UNet (2,567,463,684 params), text_encoder (CLIP ViT-L/14 with every hidden
 * state as an output) and text_encoder_2 (OpenCLIP ViT-bigG/14 with projection, 694,659,840 params).
 *
 * Usage (after `pnpm --filter @onnxstream/stable-diffusion build`):
 *   node packages/stable-diffusion/scripts/make-sd-models.mjs <dir> [--xl] [--fp16] [--fp16-full]
 *        [--only unet,vae_decoder,text_encoder,text_encoder_2] [--seed N] [--latent 64] [--onnxstream-names]
 *        [--anyshape]
 *
 * --fp16 stores weights as float16 (Cast to float32 before use); --fp16-full makes the whole graph
 * float16 (inputs and outputs too). --latent sets the UNet/VAE latent size (64 = 512x512 images;
 * SDXL's default is 128). --onnxstream-names uses OnnxStream's names: SD 1.5 text encoder
 * `onnx::Reshape_0` int64 and VAE `input.1`; SDXL text encoders `input_ids` int64 -> `out_0` and
 * `out_13` / `out_33`, the UNet inside the `unet` module. --anyshape gives the UNet and VAE decoder
 * symbolic height and width (SDXL Turbo's "anyshape" models: one file for every size; --latent is
 * then only the size they are built at). fp32 output is ~3.4 GB (UNet) + 0.5 GB +
 * 0.2 GB for SD 1.5, ~10.3 GB + 2.8 GB + 0.5 GB + 0.2 GB for SDXL; weights are streamed, one tensor
 * in memory at a time.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', 'dist', 'architecture', 'index.js');
if (!existsSync(entry)) {
  console.error(`${entry} is missing: run \`pnpm --filter @onnxstream/stable-diffusion build\` first`);
  process.exit(1);
}
const { makeSdModels } = await import(pathToFileURL(entry).href);

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const bool = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const only = flag('--only');
const seed = Number(flag('--seed') ?? 0);
const latent = flag('--latent');
const fp16Full = bool('--fp16-full');
const fp16 = bool('--fp16') || fp16Full;
const onnxstreamNames = bool('--onnxstream-names');
const xl = bool('--xl');
const anyshape = bool('--anyshape');
const dir = args[0];
if (!dir || args.length > 1 || args.some((a) => a.startsWith('--'))) {
  console.error(
    'usage: make-sd-models.mjs <dir> [--xl] [--fp16] [--fp16-full] [--only unet,vae_decoder,text_encoder,text_encoder_2] [--seed N] [--latent 64] [--onnxstream-names] [--anyshape]',
  );
  process.exit(2);
}
const size = {
  ...(latent ? { latentHeight: Number(latent), latentWidth: Number(latent) } : {}),
  ...(anyshape ? { dynamicSize: true } : {}),
};
// OnnxStream's SDXL folders: text encoders named by output position, the UNet in a `unet` module,
// the VAE decoder reading `latent_sample` as diffusers'.
const naming = onnxstreamNames ? { naming: xl ? 'onnxstream-xl' : 'onnxstream' } : {};
const start = performance.now();
const made = await makeSdModels(resolve(dir), {
  architecture: xl ? 'sdxl' : 'sd15',
  components: only ? only.split(',') : undefined,
  precision: fp16 ? 'fp16' : 'fp32',
  float16Mode: fp16Full ? 'full' : 'weights',
  seed,
  unet: { ...size, ...(xl && onnxstreamNames ? { scope: 'unet' } : {}) },
  vaeDecoder: { ...size, ...(xl ? {} : naming) },
  textEncoder: naming,
  textEncoder2: naming,
  log: (line) => console.log(line),
});
const total = made.reduce((s, m) => s + m.modelBytes + m.dataBytes, 0);
console.log(
  `done: ${made.length} models, ${(total / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - start) / 1000).toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
