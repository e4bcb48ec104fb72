/**
 * `ddpm` / `ddpm_a`: OnnxStream's DDPM update (adapted there from Windsander/ADI-Stable-Diffusion),
 * without latent prescaling. With s2 = sigma_i^2, n2 = sigma_{i+1}^2:
 *
 * x = (n2/s2) sqrt(s2 + 1)/sqrt(n2 + 1) x + (s2 - n2)/(s2 sqrt(n2 + 1)) D
 *     + eta sqrt(s2 - n2)/sqrt(n2 + 1) * sigma_{i+1}/sigma_i * noise.
 *
 * eta = 0 for `ddpm` (no noise), 1 for `ddpm_a` (noise drawn only while that term is positive).
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

function makeDdpm(eta: number): Sampler {
  return (denoise, x, options) =>
    runSampler(denoise, x, options, ({ x, denoised, sigma, sigmaNext, noise }) => {
      const s2 = sigma * sigma;
      const n2 = sigmaNext * sigmaNext;
      const scaleBack = Math.sqrt(s2 + 1);
      const dn = Math.sqrt(n2 + 1);
      const variance = eta <= 0 ? 0 : ((eta * Math.sqrt(s2 - n2)) / dn) * (sigmaNext / sigma);
      const a = ((n2 / s2) * scaleBack) / dn;
      const b = (s2 - n2) / dn / s2;
      if (variance <= 0) {
        for (let k = 0; k < x.length; k++) x[k] = x[k] * a + denoised[k] * b;
      } else {
        const n = noise();
        for (let k = 0; k < x.length; k++) x[k] = x[k] * a + denoised[k] * b + n[k] * variance;
      }
    });
}

/** `ddpm`: eta = 0 (deterministic). */
export const ddpm: Sampler = makeDdpm(0);

/** `ddpm_a`: eta = 1 (with noise). */
export const ddpmAncestral: Sampler = makeDdpm(1);
