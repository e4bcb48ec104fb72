/**
 * VAE decoding (reference section 7.8): the whole latent in one run, or OnnxStream's tiling: 32x32
 * latent tiles (256x256 pixels) every 24 latent pixels, the last tile of each axis clamped to the
 * end, decoded in row-major order and blended into the image with a linear ramp over the first 64
 * pixels of every tile not on the top/left edge (f = y/64 on top overlaps, times x/64 on left ones;
 * out = tile * f + previous * (1 - f)). Pixels are trunc((v + 1) * 127.5) clamped to [0, 255].
 */
import type { RgbImage } from '../latent/preview.js';
import { floatFeed, floats, infoOf, type ModelRunner, type RunnerRunOptions, requireName } from './runner.js';

/** Tiling parameters, in latent pixels (OnnxStream: 32 and 8). */
export interface TileOptions {
  readonly tileSize?: number;
  readonly tileOverlap?: number;
}

export const DEFAULT_TILE_SIZE = 32;
export const DEFAULT_TILE_OVERLAP = 8;

/** Planar (3, height, width) floats in about [-1, 1] to interleaved RGB bytes, as OnnxStream. */
export function toPixels(planar: Float32Array, width: number, height: number): RgbImage {
  const hw = width * height;
  const data = new Uint8Array(hw * 3);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.trunc((planar[c * hw + p] + 1) * 127.5);
      data[p * 3 + c] = Math.min(255, Math.max(0, v));
    }
  }
  return { width, height, data };
}

/** Tile origins along an axis of `size` latent pixels. */
export function tileOrigins(size: number, tile: number, overlap: number): number[] {
  if (size < tile)
    throw new Error(`tiled decoding needs latents of at least ${tile} pixels per side, got ${size}`);
  const stride = tile - overlap;
  if (stride <= 0) throw new Error(`tile overlap ${overlap} must be smaller than the tile size ${tile}`);
  const out: number[] = [];
  for (let p = 0; ; p += stride) {
    if (p + tile >= size) {
      out.push(size - tile);
      return out;
    }
    out.push(p);
  }
}

/** Whether tiling applies to a latent: OnnxStream turns it off when the latent fits in one tile. */
export function tilingApplies(latentWidth: number, latentHeight: number, tile = DEFAULT_TILE_SIZE): boolean {
  return latentWidth * latentHeight > tile * tile;
}

async function runDecoder(
  runner: ModelRunner,
  latent: Float32Array,
  lw: number,
  lh: number,
  options: RunnerRunOptions,
): Promise<Float32Array> {
  const name = requireName(runner.inputs, ['latent_sample', 'input.1', 'sample'], 'VAE decoder input');
  const out = runner.outputs[0].name;
  const [r] = await runner.run([{ [name]: floatFeed(latent, [1, 4, lh, lw], infoOf(runner.inputs, name)) }], {
    ...options,
    outputs: [out],
  });
  const v = floats(r[out], 'VAE decoder');
  if (v.length !== 3 * 64 * lw * lh) {
    throw new Error(
      `VAE decoder returned ${v.length} values for a ${lw}x${lh} latent (expected 3 x ${8 * lh} x ${8 * lw})`,
    );
  }
  return v;
}

/**
 * Decodes a (4, lh, lw) latent that is already divided by the VAE scaling factor, in one run.
 * @returns planar (3, 8 lh, 8 lw) floats.
 */
export function decodeFull(
  runner: ModelRunner,
  latent: Float32Array,
  lw: number,
  lh: number,
  options: RunnerRunOptions = {},
): Promise<Float32Array> {
  return runDecoder(runner, latent, lw, lh, options);
}

/** Decodes tile by tile (see the module description); `onTile(done, total)` after each. */
export async function decodeTiled(
  runner: ModelRunner,
  latent: Float32Array,
  lw: number,
  lh: number,
  options: RunnerRunOptions & TileOptions & { onTile?: (done: number, total: number) => void } = {},
): Promise<Float32Array> {
  const tile = options.tileSize ?? DEFAULT_TILE_SIZE;
  const overlap = options.tileOverlap ?? DEFAULT_TILE_OVERLAP;
  const ys = tileOrigins(lh, tile, overlap);
  const xs = tileOrigins(lw, tile, overlap);
  const W = lw * 8;
  const H = lh * 8;
  const T = tile * 8;
  const ramp = overlap * 8;
  const out = new Float32Array(3 * W * H);
  const part = new Float32Array(4 * tile * tile);
  let done = 0;
  for (const ty of ys) {
    for (const tx of xs) {
      for (let c = 0; c < 4; c++)
        for (let y = 0; y < tile; y++) {
          const src = c * lh * lw + (ty + y) * lw + tx;
          part.set(latent.subarray(src, src + tile), c * tile * tile + y * tile);
        }
      const img = await runDecoder(runner, part, tile, tile, options);
      const oy = ty * 8;
      const ox = tx * 8;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < T; y++) {
          const fy = ty > 0 && y < ramp ? y / ramp : 1;
          for (let x = 0; x < T; x++) {
            const f = fy * (tx > 0 && x < ramp ? x / ramp : 1);
            const v = img[c * T * T + y * T + x];
            const o = c * W * H + (oy + y) * W + ox + x;
            out[o] = f === 1 ? v : v * f + out[o] * (1 - f);
          }
        }
      }
      options.onTile?.(++done, ys.length * xs.length);
    }
  }
  return out;
}
