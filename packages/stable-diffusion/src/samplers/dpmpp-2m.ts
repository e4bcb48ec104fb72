/**
 * DPM-Solver++(2M) (k-diffusion `sample_dpmpp_2m`) and OnnxStream's `dpm++2mv2` variant.
 * With t = -log sigma, h = t_next - t, h_last = t - t_prev, r = h_last / h:
 * D' = (1 + 1/(2r)) D - 1/(2r) D_prev;  x = (sigma_next/sigma) x - expm1(-h) D'.
 * The first step (no D_prev) and the step to sigma = 0 use D' = D.
 */
import { runSampler, type StepContext } from './run.js';
import type { Sampler } from './types.js';

function makeMultistep(v2: boolean): Sampler {
  return (denoise, x, options) => {
    let previous: Float32Array | undefined;
    return runSampler(denoise, x, options, (ctx: StepContext) => {
      const { i, x, denoised, sigma, sigmas } = ctx;
      const next = v2 ? ctx.reshapeSharp(ctx.sigmaNext, i) : ctx.reshape(ctx.sigmaNext, i);
      const a = next / sigma;
      if (!previous || next === 0) {
        // Math.expm1(log 0 - log sigma) = expm1(-inf) = -1, so x = denoised when next = 0.
        const b = Math.expm1(Math.log(next) - Math.log(sigma));
        for (let k = 0; k < x.length; k++) x[k] = a * x[k] - b * denoised[k];
      } else {
        const t = -Math.log(sigma);
        const h = -Math.log(next) - t;
        const hLast = t + Math.log(sigmas[i - 1]);
        let r: number;
        let b: number;
        if (v2) {
          // OnnxStream's v2: ratio of the larger to the smaller step, expm1 of their mean.
          const hMin = Math.min(hLast, h);
          const hMax = Math.max(hLast, h);
          r = hMax / hMin;
          b = Math.expm1(-(hMax + hMin) / 2);
        } else {
          r = hLast / h;
          b = Math.expm1(-h);
        }
        const c1 = 1 + 1 / (2 * r);
        const c2 = 1 / (2 * r);
        for (let k = 0; k < x.length; k++) x[k] = a * x[k] - b * (c1 * denoised[k] - c2 * previous[k]);
      }
      previous = Float32Array.from(denoised);
    });
  };
}

/** `dpm++2m`: DPM-Solver++(2M). */
export const dpmpp2m: Sampler = makeMultistep(false);

/**
 * `dpm++2mv2`: OnnxStream's 2M variant: r = max(h, h_last) / min(h, h_last) and expm1 of the mean of
 * the two steps; Turbo uses the softer `sigma_reshaper_sharp`.
 */
export const dpmpp2mV2: Sampler = makeMultistep(true);
