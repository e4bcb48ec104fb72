/**
 * DPM-Solver-2 (k-diffusion `sample_dpm_2`, no churn): a midpoint step at the geometric mean
 * sigma_mid = exp((log sigma_i + log sigma_{i+1}) / 2); Euler (x = denoised) when sigma_{i+1} = 0.
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/** `dpm2`. */
export const dpm2: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, async ({ i, x, denoised, sigma, sigmaNext, reshape, denoise: evalAt }) => {
    const next = reshape(sigmaNext, i);
    const n = x.length;
    if (next === 0) {
      x.set(denoised);
      return;
    }
    const sigmaMid = Math.exp(0.5 * (Math.log(sigma) + Math.log(next)));
    const x2 = new Float32Array(n);
    for (let k = 0; k < n; k++) x2[k] = x[k] + ((x[k] - denoised[k]) / sigma) * (sigmaMid - sigma);
    const denoised2 = await evalAt(x2, sigmaMid);
    for (let k = 0; k < n; k++) x[k] += ((x2[k] - denoised2[k]) / sigmaMid) * (next - sigma);
  });
