/**
 * Euler and Euler ancestral (k-diffusion `sample_euler`, `sample_euler_ancestral`), with
 * d = (x - denoised) / sigma_i.
 */
import { ancestralStep, runSampler } from './run.js';
import type { Sampler } from './types.js';

/** `euler`: x += d * (sigma_{i+1} - sigma_i) (sigma_{i+1} reshaped for Turbo). */
export const euler: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, ({ i, x, denoised, sigma, sigmaNext, reshape }) => {
    const dt = reshape(sigmaNext, i) - sigma;
    for (let k = 0; k < x.length; k++) x[k] += ((x[k] - denoised[k]) / sigma) * dt;
  });

/**
 * `euler_a`: x += d * (sigma_down - sigma_i) + noise * sigma_up. As in OnnxStream, noise is drawn on
 * every step, including the last (where sigma_up = 0), which keeps the noise stream aligned.
 */
export const eulerAncestral: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, ({ x, denoised, sigma, sigmaNext, noise }) => {
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, sigmaNext);
    const n = noise();
    const dt = sigmaDown - sigma;
    for (let k = 0; k < x.length; k++) x[k] += ((x[k] - denoised[k]) / sigma) * dt + n[k] * sigmaUp;
  });
