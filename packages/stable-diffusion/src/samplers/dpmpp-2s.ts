/**
 * DPM-Solver++(2S) (Lu et al. 2022) in k-diffusion's form (`sample_dpmpp_2s_ancestral`), with
 * t = -log sigma, h = t_next - t and the midpoint s = t + h/2 (sigma(s) = sqrt(sigma_i * sigma_target)):
 *
 * x2 = (sigma(s)/sigma(t)) x - expm1(-h/2) D;  x = (sigma(t_next)/sigma(t)) x - expm1(-h) D(x2, sigma(s)).
 *
 * OnnxStream evaluates the midpoint model call at sigma_{i+1} instead of sigma(s); pass
 * `variant: 'onnxstream'` to reproduce that.
 */
import { ancestralStep, runSampler, type StepContext } from './run.js';
import type { Sampler } from './types.js';

async function secondOrderStep(ctx: StepContext, target: number): Promise<void> {
  const { x, denoised, sigma, sigmaNext, options } = ctx;
  const t = -Math.log(sigma);
  const tNext = -Math.log(target);
  const h = tNext - t;
  const s = t + 0.5 * h;
  const n = x.length;
  const x2 = new Float32Array(n);
  const a = Math.exp(-s) / Math.exp(-t);
  const b = Math.expm1(-h * 0.5);
  for (let k = 0; k < n; k++) x2[k] = a * x[k] - b * denoised[k];
  const evalSigma = options.variant === 'onnxstream' ? sigmaNext : Math.exp(-s);
  const denoised2 = await ctx.denoise(x2, evalSigma);
  const c = Math.exp(-tNext) / Math.exp(-t);
  const e = Math.expm1(-h);
  for (let k = 0; k < n; k++) x[k] = c * x[k] - e * denoised2[k];
}

/** `dpm++2s`: deterministic DPM-Solver++(2S) to sigma_{i+1} (reshaped for Turbo); x = denoised when it is 0. */
export const dpmpp2s: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, async (ctx) => {
    const next = ctx.reshape(ctx.sigmaNext, ctx.i);
    if (next === 0) ctx.x.set(ctx.denoised);
    else await secondOrderStep(ctx, next);
  });

/**
 * `dpm++2s_a`: DPM-Solver++(2S) to sigma_down, then + noise * sigma_up (eta = 1) when sigma_{i+1} > 0.
 */
export const dpmpp2sAncestral: Sampler = (denoise, x, options) =>
  runSampler(denoise, x, options, async (ctx) => {
    const { sigmaDown, sigmaUp } = ancestralStep(ctx.sigma, ctx.sigmaNext);
    if (sigmaDown === 0) ctx.x.set(ctx.denoised);
    else await secondOrderStep(ctx, sigmaDown);
    if (ctx.sigmaNext > 0) {
      const noise = ctx.noise();
      for (let k = 0; k < ctx.x.length; k++) ctx.x[k] += noise[k] * sigmaUp;
    }
  });
