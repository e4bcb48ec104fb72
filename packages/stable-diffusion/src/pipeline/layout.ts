/**
 * Model folder layouts the pipeline reads (reference section 7.1): OnnxStream's published folders for
 * SD 1.5, SDXL 1.0 base and SDXL Turbo, and diffusers-style ONNX exports
 * (`text_encoder/model.onnx`, `unet/model.onnx` + external data, `vae_decoder/model.onnx`,
 * `tokenizer/vocab.json` + `merges.txt`).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelPath } from './runner.js';

/** Which model family. */
export type ModelKind = 'sd15' | 'sdxl' | 'sdxl-turbo';

/** A resolved model folder: where each component's graph and tokenizer live. */
export interface ModelLayout {
  readonly kind: ModelKind;
  readonly format: 'onnxstream' | 'diffusers';
  /** The folder the files were found in (the given root or `<root>/<repo name>`). */
  readonly root: string;
  readonly tokenizer: string;
  /** SDXL's second tokenizer folder (diffusers `tokenizer_2`; OnnxStream shares `sdxl_tokenizer`). */
  readonly tokenizer2?: string;
  readonly textEncoder: ModelPath;
  readonly textEncoder2?: ModelPath;
  readonly unet: ModelPath;
  /** The full-image decoder. */
  readonly vaeDecoder: ModelPath;
  /** The tiled decoder (32x32 latents) when the folder has a dedicated one. */
  readonly vaeDecoderTiled?: ModelPath;
  /** SD 1.5's W8A8 decoder (`vae_decoder_qu8`) for the low-memory configuration. */
  readonly vaeDecoderQu8?: ModelPath;
  /** SD 1.5's `vae_decoder_qu8/range_data.txt`. */
  readonly rangeData?: string;
}

/** OnnxStream's Hugging Face repository of each model (reference section 7.1). */
export const ONNXSTREAM_REPOS: Readonly<Record<ModelKind, string>> = {
  sd15: 'vitoplantamura/stable-diffusion-1.5-onnxstream',
  sdxl: 'vitoplantamura/stable-diffusion-xl-base-1.0-onnxstream',
  'sdxl-turbo': 'vitoplantamura/stable-diffusion-xl-turbo-1.0-anyshape-onnxstream',
};

/** The text files of each OnnxStream model, in OnnxStream's order; the last one is the sentinel. */
export const ONNXSTREAM_TEXT_FILES: Readonly<Record<ModelKind, readonly string[]>> = {
  sd15: [
    'tokenizer/vocab.txt',
    'tokenizer/merges.txt',
    'text_encoder_fp32/model.txt',
    'unet_fp16/model.txt',
    'vae_decoder_fp16/model.txt',
    'vae_decoder_qu8/model.txt',
    'vae_decoder_qu8/range_data.txt',
  ],
  sdxl: [
    'sdxl_tokenizer/vocab.txt',
    'sdxl_tokenizer/merges.txt',
    'sdxl_text_encoder_1_fp32/model.txt',
    'sdxl_text_encoder_2_fp32/model.txt',
    'sdxl_unet_fp16/model.txt',
    'sdxl_vae_decoder_32x32_fp16/model.txt',
    'sdxl_vae_decoder_fp16/model.txt',
  ],
  'sdxl-turbo': [
    'sdxl_tokenizer/vocab.txt',
    'sdxl_tokenizer/merges.txt',
    'sdxl_text_encoder_1_fp32/model.txt',
    'sdxl_text_encoder_2_fp32/model.txt',
    'sdxl_unet_anyshape_fp16/model.txt',
    'sdxl_vae_decoder_anyshape_fp16/model.txt',
  ],
};

/** The last path component of a repository name (`owner/name` -> `name`). */
export function repoFolderName(repo: string): string {
  return repo.slice(repo.lastIndexOf('/') + 1);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const sentinel = (kind: ModelKind) => ONNXSTREAM_TEXT_FILES[kind].at(-1)!;
const os = (root: string, folder: string): ModelPath => ({ path: join(root, folder), format: 'onnxstream' });
const onnx = (root: string, folder: string): ModelPath => ({
  path: join(root, folder, 'model.onnx'),
  format: 'onnx',
});

async function onnxstreamLayout(root: string, kind: ModelKind): Promise<ModelLayout> {
  if (kind === 'sd15') {
    const l32 = (await exists(join(root, 'vae_decoder_fp16_l32', 'model.txt')))
      ? os(root, 'vae_decoder_fp16_l32')
      : undefined;
    return {
      kind,
      format: 'onnxstream',
      root,
      tokenizer: join(root, 'tokenizer'),
      textEncoder: os(root, 'text_encoder_fp32'),
      unet: os(root, 'unet_fp16'),
      vaeDecoder: os(root, 'vae_decoder_fp16'),
      vaeDecoderTiled: l32,
      vaeDecoderQu8: os(root, 'vae_decoder_qu8'),
      rangeData: join(root, 'vae_decoder_qu8', 'range_data.txt'),
    };
  }
  const turbo = kind === 'sdxl-turbo';
  return {
    kind,
    format: 'onnxstream',
    root,
    tokenizer: join(root, 'sdxl_tokenizer'),
    tokenizer2: join(root, 'sdxl_tokenizer'),
    textEncoder: os(root, 'sdxl_text_encoder_1_fp32'),
    textEncoder2: os(root, 'sdxl_text_encoder_2_fp32'),
    unet: os(root, turbo ? 'sdxl_unet_anyshape_fp16' : 'sdxl_unet_fp16'),
    vaeDecoder: os(root, turbo ? 'sdxl_vae_decoder_anyshape_fp16' : 'sdxl_vae_decoder_fp16'),
    vaeDecoderTiled: os(root, turbo ? 'sdxl_vae_decoder_anyshape_fp16' : 'sdxl_vae_decoder_32x32_fp16'),
  };
}

async function diffusersLayout(root: string, kind: ModelKind): Promise<ModelLayout> {
  const xl = kind !== 'sd15';
  const tok2 = join(root, 'tokenizer_2');
  return {
    kind,
    format: 'diffusers',
    root,
    tokenizer: join(root, 'tokenizer'),
    tokenizer2: xl ? ((await exists(join(tok2, 'merges.txt'))) ? tok2 : join(root, 'tokenizer')) : undefined,
    textEncoder: onnx(root, 'text_encoder'),
    textEncoder2: xl ? onnx(root, 'text_encoder_2') : undefined,
    unet: onnx(root, 'unet'),
    vaeDecoder: onnx(root, 'vae_decoder'),
  };
}

/** Options of {@link resolveLayout}. */
export interface ResolveLayoutOptions {
  /** The model family; default: detected from the folder contents. */
  readonly kind?: ModelKind;
}

/** Detects the kind of the folder at `root` (OnnxStream or diffusers), or undefined. */
async function detect(root: string, kind: ModelKind | undefined): Promise<ModelLayout | undefined> {
  const kinds: ModelKind[] = kind ? [kind] : ['sdxl-turbo', 'sdxl', 'sd15'];
  for (const k of kinds) {
    if (await exists(join(root, sentinel(k)))) return onnxstreamLayout(root, k);
  }
  if (await exists(join(root, 'unet', 'model.onnx'))) {
    const xl = await exists(join(root, 'text_encoder_2', 'model.onnx'));
    const k = kind ?? (xl ? 'sdxl' : 'sd15');
    if ((k !== 'sd15') !== xl) return undefined;
    return diffusersLayout(root, k);
  }
  return undefined;
}

/**
 * Finds the model files below `dir`: OnnxStream's folder (by its sentinel file, at `dir` or, as
 * OnnxStream does, at `dir/<repo name>`), or a diffusers ONNX export. Throws with the files looked
 * for when nothing matches.
 */
export async function resolveLayout(dir: string, options: ResolveLayoutOptions = {}): Promise<ModelLayout> {
  const found =
    (await detect(dir, options.kind)) ??
    (await (async () => {
      const kinds: ModelKind[] = options.kind ? [options.kind] : ['sdxl-turbo', 'sdxl', 'sd15'];
      for (const k of kinds) {
        const sub = join(dir, repoFolderName(ONNXSTREAM_REPOS[k]));
        const l = await detect(sub, k);
        if (l) return l;
      }
      return undefined;
    })());
  if (found) return found;
  const what = options.kind ? `an ${options.kind} model` : 'a Stable Diffusion model';
  const looked = (options.kind ? [options.kind] : (['sd15', 'sdxl', 'sdxl-turbo'] as const))
    .map((k) => sentinel(k))
    .concat(['unet/model.onnx'])
    .join(', ');
  throw new Error(`no ${what} found in '${dir}' (looked for ${looked}, also in <dir>/<repo name>)`);
}
