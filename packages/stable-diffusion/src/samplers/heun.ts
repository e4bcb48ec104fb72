/** Heun's second-order method (k-diffusion `sample_heun`, no churn); Euler when sigma_{i+1} = 0. */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/** `heun`: predictor x2 = x + d dt, corrector x += (d + d(x2, sigma_{i+1})) / 2 * dt. */
export const heun: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, async ({ i, x, denoised, sigma, sigmaNext, reshape, denoise: evalAt }) => {
    const next = reshape(sigmaNext, i);
    const dt = next - sigma;
    const n = x.length;
    if (next === 0) {
      for (let k = 0; k < n; k++) x[k] += ((x[k] - denoised[k]) / sigma) * dt;
      return;
    }
    const d = new Float64Array(n);
    const x2 = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      d[k] = (x[k] - denoised[k]) / sigma;
      x2[k] = x[k] + d[k] * dt;
    }
    const denoised2 = await evalAt(x2, next);
    for (let k = 0; k < n; k++) {
      const d2 = (x2[k] - denoised2[k]) / next;
      x[k] += ((d[k] + d2) / 2) * dt;
    }
  });
