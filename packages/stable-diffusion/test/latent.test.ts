import { describe, expect, it } from 'vitest';
import {
  classifierFreeGuidance,
  compVisDenoiser,
  compVisScalings,
  latentPreview,
  latentToRgbPlanar,
  SD15_LATENT_RGB_FACTORS,
  SD15_VAE_SCALING_FACTOR,
  SDXL_LATENT_RGB_FACTORS,
  SDXL_VAE_SCALING_FACTOR,
  sigmaToTimestep,
  unscaleLatent,
  upscaleNearest,
} from '../src/index.js';

describe('VAE scaling', () => {
  it('has the SD 1.5 and SDXL factors (OnnxStream multiplies by 5.48998 and 7.67754)', () => {
    expect(SD15_VAE_SCALING_FACTOR).toBe(0.18215);
    expect(SDXL_VAE_SCALING_FACTOR).toBe(0.13025);
    expect(1 / SD15_VAE_SCALING_FACTOR).toBeCloseTo(5.48998, 5);
    expect(1 / SDXL_VAE_SCALING_FACTOR).toBeCloseTo(7.67754, 5);
    expect([...unscaleLatent(Float32Array.of(0.18215, -0.3643), SD15_VAE_SCALING_FACTOR)]).toEqual([
      1,
      Math.fround(-2),
    ]);
  });
});

describe('latent preview', () => {
  it('projects each latent pixel with the 4x3 matrix', () => {
    // 2x1 latent, channel-major: pixel 0 = (1, 0, 0, 0), pixel 1 = (0, 0, 0, 1).
    const latent = Float32Array.of(1, 0, 0, 0, 0, 0, 0, 1);
    const rgb = latentToRgbPlanar(latent, 2, 1, SD15_LATENT_RGB_FACTORS);
    expect([rgb[0], rgb[2], rgb[4]].map((v) => Number(v.toFixed(4)))).toEqual([0.3512, 0.2297, 0.3227]);
    expect([rgb[1], rgb[3], rgb[5]].map((v) => Number(v.toFixed(4)))).toEqual([-0.212, -0.2616, -0.7177]);
  });

  it('maps (v + 1) * 127.5 to bytes with truncation and clamping', () => {
    // pixel = (1, 1, 1, 1) with the SDXL matrix: R = 0.3651 - 0.2533 + 0.1076 - 0.3165 = -0.0971
    // -> (1 - 0.0971) * 127.5 = 115.12 -> 115. G = 0.4232 - 0.0042 + 0.1111 - 0.2492 = 0.2809 -> 163.31 -> 163.
    // B = 0.4341 + 0.1068 - 0.0362 - 0.2188 = 0.2859 -> 163.95 -> 163.
    const img = latentPreview(Float32Array.of(1, 1, 1, 1), 1, 1, SDXL_LATENT_RGB_FACTORS);
    expect([...img.data]).toEqual([115, 163, 163]);
    const big = latentPreview(Float32Array.of(10, 10, 10, -10), 1, 1, SD15_LATENT_RGB_FACTORS);
    expect([...big.data]).toEqual([255, 255, 255]);
  });

  it('upscales 8x nearest-neighbour', () => {
    const img = upscaleNearest({ width: 2, height: 1, data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    expect(img.width).toBe(16);
    expect(img.height).toBe(8);
    expect([...img.data.slice(0, 3)]).toEqual([1, 2, 3]);
    expect([...img.data.slice(8 * 3, 8 * 3 + 3)]).toEqual([4, 5, 6]);
    expect([...img.data.slice((7 * 16 + 15) * 3)]).toEqual([4, 5, 6]);
  });
});

describe('CompVis denoiser', () => {
  it('scales the input by 1/sqrt(sigma^2+1) and returns x - sigma * eps at t(sigma)', async () => {
    expect(compVisScalings(3)).toEqual({ cIn: 1 / Math.sqrt(10), cOut: -3 });
    let seen: { input: number[]; t: number } | undefined;
    const d = compVisDenoiser(async (input, t) => {
      seen = { input: [...input], t };
      return Float32Array.of(0.5, -1);
    });
    const out = await d(Float32Array.of(2, 4), 3);
    expect(seen?.input[0]).toBeCloseTo(2 / Math.sqrt(10), 6);
    expect(seen?.t).toBeCloseTo(sigmaToTimestep(3), 12);
    expect([...out]).toEqual([2 - 1.5, 4 + 3]);
  });

  it('classifier-free guidance: uncond + scale (cond - uncond)', () => {
    expect([...classifierFreeGuidance(Float32Array.of(1, 2), Float32Array.of(2, 0), 7)]).toEqual([8, -12]);
  });
});
