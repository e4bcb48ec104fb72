/**
 * Trajectory Consistency Distillation sampling (Zheng et al. 2024) as OnnxStream implements it on
 * k-diffusion sigmas (prescaled like DDIM). With gamma = eta, the intermediate noise level s between
 * sigma_i and sigma_{i+1} is derived from sigmas (OnnxStream's smoothing):
 *
 * si4 = sigma'(1 - gamma), si3 = sigmas[floor((steps - i - 1) gamma) + i + 1],
 * si2 = sqrt( sqrt(si3 * si3 * sigma'/sigma_{i+1}) * sqrt(si4 * sqrt(si3 * si4)) ),
 *
 * (sigma' the sharp-reshaped sigma_{i+1}; the ratio is 1 when sigma_{i+1} = 0), alpha_s = 1/(si2^2 + 1):
 * x = sqrt(alpha_s) D + sqrt(1 - alpha_s) (x - D)/sigma_i, then for `tcd_a` (gamma = 0.5) and all but the
 * last step x = sqrt(alpha_n/alpha_s) x + sqrt(1 - alpha_n/alpha_s) noise with alpha_n = 1/(sigma'^2 + 1).
 * With gamma = 0 this is exactly DDIM.
 */
import { prescaleVariancePreserving } from './prescale.js';
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

function makeTcd(eta: number): Sampler {
  return (denoise, x, options) =>
    runSampler(
      denoise,
      x,
      options,
      ({ i, steps, sigmas, x, denoised, sigma, sigmaNext, reshapeSharp, noise }) => {
        const si1 = reshapeSharp(sigmaNext, i);
        const si4 = si1 * (1 - eta);
        const si3 = sigmas[Math.trunc((steps - i - 1) * eta + i + 1)];
        const si2 = Math.sqrt(
          Math.sqrt(si3 * (sigmaNext ? si3 * (si1 / sigmaNext) : si3)) *
            Math.sqrt(si4 * Math.sqrt(si3 * si4)),
        );
        const alphaN = 1 / (si1 * si1 + 1);
        const alphaS = 1 / (si2 * si2 + 1);
        const a = Math.sqrt(alphaS);
        const b = Math.sqrt(1 - alphaS);
        for (let k = 0; k < x.length; k++) {
          const eps = (x[k] - denoised[k]) / sigma;
          x[k] = a * denoised[k] + b * eps;
        }
        if (eta > 0 && i < steps - 1) {
          const n = noise();
          const keep = Math.sqrt(alphaN / alphaS);
          const add = Math.sqrt(Math.max(0, 1 - alphaN / alphaS));
          for (let k = 0; k < x.length; k++) x[k] = keep * x[k] + add * n[k];
        }
      },
      prescaleVariancePreserving,
    );
}

/** `tcd`: gamma = 0 (deterministic). */
export const tcd: Sampler = makeTcd(0);

/** `tcd_a`: gamma = 0.5, noise on every step but the last. */
export const tcdAncestral: Sampler = makeTcd(0.5);
