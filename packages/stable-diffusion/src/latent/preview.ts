/**
 * Cheap latent -> RGB previews (OnnxStream `--preview-steps`, reference section 7.9): every latent pixel's
 * four channels go through a fixed 4x3 linear projection (ComfyUI's `latent_rgb_factors`), the result in
 * about [-1, 1] is mapped with (v + 1) * 127.5 to bytes. Output has the latent's resolution;
 * {@link upscaleNearest} gives OnnxStream's `--preview-steps-x8`.
 */

/** A 4x3 projection: row c holds the R, G, B weights of latent channel c. */
export type LatentRgbFactors = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];

/** SD 1.x projection (ComfyUI `SD15.latent_rgb_factors`, as in OnnxStream's `sd_preview`). */
export const SD15_LATENT_RGB_FACTORS: LatentRgbFactors = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/** SDXL projection (ComfyUI `SDXL.latent_rgb_factors`, as in OnnxStream's `sdxl_preview`; no bias). */
export const SDXL_LATENT_RGB_FACTORS: LatentRgbFactors = [
  [0.3651, 0.4232, 0.4341],
  [-0.2533, -0.0042, 0.1068],
  [0.1076, 0.1111, -0.0362],
  [-0.3165, -0.2492, -0.2188],
];

/** An interleaved 8-bit RGB image. */
export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, row-major, RGB interleaved. */
  data: Uint8Array;
}

/** Float to byte as OnnxStream's `to_pixels`: truncate toward zero, clamp to [0, 255]. */
function toByte(v: number): number {
  return Math.min(255, Math.max(0, Math.trunc(v)));
}

/**
 * Projects a channel-major (4, height, width) latent to planar RGB in about [-1, 1].
 * @returns Float32Array of shape (3, height, width).
 */
export function latentToRgbPlanar(
  latent: Float32Array,
  width: number,
  height: number,
  factors: LatentRgbFactors = SD15_LATENT_RGB_FACTORS,
): Float32Array {
  const hw = width * height;
  if (latent.length !== 4 * hw)
    throw new Error(`latent has ${latent.length} values, expected 4 x ${height} x ${width}`);
  const out = new Float32Array(3 * hw);
  for (let p = 0; p < hw; p++) {
    for (let ch = 0; ch < 3; ch++) {
      let v = 0;
      for (let c = 0; c < 4; c++) v += latent[c * hw + p] * factors[c][ch];
      out[ch * hw + p] = v;
    }
  }
  return out;
}

/**
 * The preview image of a latent: projection, then (v + 1) * 127.5 truncated and clamped to bytes.
 * @param latent - channel-major (4, height, width), as the samplers produce it.
 */
export function latentPreview(
  latent: Float32Array,
  width: number,
  height: number,
  factors: LatentRgbFactors = SD15_LATENT_RGB_FACTORS,
): RgbImage {
  const planar = latentToRgbPlanar(latent, width, height, factors);
  const hw = width * height;
  const data = new Uint8Array(3 * hw);
  for (let p = 0; p < hw; p++)
    for (let ch = 0; ch < 3; ch++) data[p * 3 + ch] = toByte((planar[ch * hw + p] + 1) * 127.5);
  return { width, height, data };
}

/** Nearest-neighbour integer upscale of an RGB image (OnnxStream's preview x8 uses factor 8). */
export function upscaleNearest(image: RgbImage, factor = 8): RgbImage {
  const width = image.width * factor;
  const height = image.height * factor;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < width; x++) {
      const s = (sy * image.width + Math.floor(x / factor)) * 3;
      const d = (y * width + x) * 3;
      data[d] = image.data[s];
      data[d + 1] = image.data[s + 1];
      data[d + 2] = image.data[s + 2];
    }
  }
  return { width, height, data };
}
