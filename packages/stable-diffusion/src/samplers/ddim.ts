/**
 * DDIM (Song et al. 2021) as OnnxStream runs it on k-diffusion sigmas, after stable-diffusion.cpp:
 * x is prescaled (see {@link prescaleVariancePreserving}), then with alpha_t = 1/(sigma_i^2 + 1),
 * alpha_prev = 1/(sigma_{i+1}^2 + 1), eps = (x - D)/sigma_i:
 *
 * x = sqrt(alpha_prev) D + sqrt(1 - alpha_prev - eta^2 var) eps + eta sqrt(var) noise,
 * var = (1 - alpha_prev)/(1 - alpha_t) (1 - alpha_t/alpha_prev).
 *
 * `ddim`: eta = 0; `ddim_a`: eta = 1 (noise drawn every step). sigma_{i+1} uses `sigma_reshaper_sharp`
 * for Turbo.
 */
import { prescaleVariancePreserving } from './prescale.js';
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

function makeDdim(eta: number): Sampler {
  return (denoise, x, options) =>
    runSampler(
      denoise,
      x,
      options,
      ({ i, x, denoised, sigma, sigmaNext, reshapeSharp, noise }) => {
        const next = reshapeSharp(sigmaNext, i);
        const alphaT = 1 / (sigma * sigma + 1);
        const alphaPrev = 1 / (next * next + 1);
        const variance = ((1 - alphaPrev) / (1 - alphaT)) * (1 - alphaT / alphaPrev);
        const std = eta * Math.sqrt(Math.max(0, variance));
        const dir = Math.sqrt(Math.max(0, 1 - alphaPrev - variance * eta * eta));
        const sa = Math.sqrt(alphaPrev);
        for (let k = 0; k < x.length; k++) {
          const eps = (x[k] - denoised[k]) / sigma;
          x[k] = sa * denoised[k] + dir * eps;
        }
        if (eta > 0) {
          const n = noise();
          for (let k = 0; k < x.length; k++) x[k] += n[k] * std;
        }
      },
      prescaleVariancePreserving,
    );
}

/** `ddim`: deterministic DDIM (eta = 0). */
export const ddim: Sampler = makeDdim(0);

/** `ddim_a`: DDIM with eta = 1. */
export const ddimAncestral: Sampler = makeDdim(1);
