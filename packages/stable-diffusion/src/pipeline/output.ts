/**
 * Image and latent files (reference section 7.9): compressed PNG (fast-png) with an optional
 * AUTOMATIC1111-style `parameters` tEXt chunk, and latents as .npy (float32, (n, 4, H/8, W/8), the
 * final latents before VAE scaling).
 */
import { asFloat32, encodeNpy, parseNpy, Tensor } from '@onnxstream/core';
import { decode, encode } from 'fast-png';
import type { RgbImage } from '../latent/preview.js';
import type { ModelKind } from './layout.js';

const KIND_LABEL: Record<ModelKind, string> = { sd15: 'SD 1.5', sdxl: 'SDXL', 'sdxl-turbo': 'SDXL-Turbo' };

/** What {@link formatParameters} writes. */
export interface ParametersInfo {
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly steps: number;
  /** Put in parentheses after the steps (OnnxStream: e.g. the preview step). */
  readonly appendix?: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** Model folder; its last two path components are written. */
  readonly model: string;
  readonly kind: ModelKind;
  readonly sampler: string;
  /** Guidance scale (omitted when undefined, e.g. Turbo). */
  readonly cfg?: number;
}

/**
 * The generation parameters in OnnxStream's A1111-style text:
 * `<prompt>\nNegative prompt: <neg>\nSteps: <n>, Seed: <s>, Size: <w>x<h>, Model: "<a/b>" (<kind>), Sampler: <name>, CFG scale: <c>, Version: OnnxStream`.
 */
export function formatParameters(p: ParametersInfo): string {
  const parts = p.model.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  const model = parts.slice(-2).join('/');
  const lines = [p.prompt];
  if (p.negativePrompt !== undefined && p.negativePrompt !== '')
    lines.push(`Negative prompt: ${p.negativePrompt}`);
  const fields = [
    `Steps: ${p.steps}${p.appendix ? ` (${p.appendix})` : ''}`,
    `Seed: ${p.seed}`,
    `Size: ${p.width}x${p.height}`,
    `Model: "${model}" (${KIND_LABEL[p.kind]})`,
    `Sampler: ${p.sampler}`,
  ];
  if (p.cfg !== undefined) fields.push(`CFG scale: ${p.cfg}`);
  fields.push('Version: OnnxStream');
  lines.push(fields.join(', '));
  return lines.join('\n');
}

/** tEXt is Latin-1: other text is written as its UTF-8 bytes (as OnnxStream writes it). */
function latin1(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the Latin-1 range starts at U+0000
  if (/^[\u0000-\u00ff]*$/.test(text)) return text;
  return String.fromCharCode(...new TextEncoder().encode(text));
}

/** Options of {@link encodePng}. */
export interface PngOptions {
  /** Written as the `parameters` tEXt chunk. */
  readonly parameters?: string;
  /** zlib level 0-9 (default 6). */
  readonly level?: number;
}

/** An 8-bit RGB PNG, deflate-compressed. */
export function encodePng(image: RgbImage, options: PngOptions = {}): Uint8Array {
  return encode(
    {
      width: image.width,
      height: image.height,
      data: image.data,
      channels: 3,
      depth: 8,
      text: options.parameters !== undefined ? { parameters: latin1(options.parameters) } : undefined,
    },
    { zlib: { level: (options.level ?? 6) as 6 } },
  );
}

/** Reads an 8-bit RGB(A) PNG back: pixels as RGB and its tEXt chunks. */
export function decodePng(bytes: Uint8Array): RgbImage & { text: Record<string, string> } {
  const png = decode(bytes);
  if (png.depth !== 8) throw new Error(`only 8-bit PNGs are read, got ${png.depth}-bit`);
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < 3; c++) data[p * 3 + c] = png.data[p * png.channels + Math.min(c, png.channels - 1)];
  return { width: png.width, height: png.height, data, text: png.text };
}

/** Latents of one or more images as .npy bytes: float32 (n, 4, lh, lw). */
export function encodeLatentsNpy(
  latents: readonly Float32Array[],
  latentWidth: number,
  latentHeight: number,
): Uint8Array {
  const size = 4 * latentWidth * latentHeight;
  const all = new Float32Array(latents.length * size);
  latents.forEach((l, i) => {
    if (l.length !== size) throw new Error(`latent ${i} has ${l.length} values, expected ${size}`);
    all.set(l, i * size);
  });
  return encodeNpy(new Tensor('float32', all, [latents.length, 4, latentHeight, latentWidth]));
}

/** Latents read from .npy: (4, h, w), (1, 4, h, w) or (n, 4, h, w) float32 (float16/float64 converted). */
export function decodeLatentsNpy(
  bytes: Uint8Array,
  what = 'latents',
): { latents: Float32Array[]; latentWidth: number; latentHeight: number } {
  const t = parseNpy(bytes, what);
  const d = t.dims;
  const dims = d.length === 3 ? [1, ...d] : d;
  if (dims.length !== 4 || dims[1] !== 4) {
    throw new Error(`${what}: expected a (4, H/8, W/8) or (n, 4, H/8, W/8) array, got (${d.join(', ')})`);
  }
  if (t.type !== 'float32' && t.type !== 'float16' && t.type !== 'float64') {
    throw new Error(`${what}: expected floats, got ${t.type}`);
  }
  const fixed = asFloat32(t);
  const [n, , h, w] = dims;
  const size = 4 * h * w;
  return {
    latents: Array.from({ length: n }, (_, i) => fixed.slice(i * size, (i + 1) * size)),
    latentWidth: w,
    latentHeight: h,
  };
}
