/**
 * Latent Consistency Model sampling (Luo et al. 2023; k-diffusion `sample_lcm`):
 * x = denoised + sigma_{i+1} * noise, and x = denoised at the last step (no noise drawn).
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/** `lcm`. */
export const lcm: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, ({ x, denoised, sigmaNext, noise }) => {
    if (sigmaNext <= 0) {
      x.set(denoised);
      return;
    }
    const n = noise();
    for (let k = 0; k < x.length; k++) x[k] = denoised[k] + sigmaNext * n[k];
  });
