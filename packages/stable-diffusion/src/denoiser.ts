/**
 * The denoiser abstraction the samplers work on, and k-diffusion's `CompVisDenoiser` wrapping an
 * epsilon-predicting UNet (reference section 7.4): for a noise level sigma the UNet sees
 * `x * c_in` at timestep `t = sigmaToTimestep(sigma)` and predicts eps; the denoised estimate is
 * `x + eps * c_out` with c_in = 1 / sqrt(sigma^2 + 1) and c_out = -sigma.
 */
import { sigmaToTimestep } from './schedule/timestep.js';
import { defaultLogSigmas } from './schedule/training.js';

/**
 * A denoiser: given the noisy sample `x` (k-diffusion / variance-exploding scale) at noise level `sigma`,
 * returns the model's estimate of the clean sample, a new array of the same length. Samplers only
 * interact with the model through this callback.
 */
export type DenoiseFn = (x: Float32Array, sigma: number) => Promise<Float32Array>;

/** An epsilon-prediction model (e.g. the SD UNet with its conditioning bound): input already scaled by c_in. */
export type EpsilonModel = (
  scaledInput: Float32Array,
  timestep: number,
  sigma: number,
) => Promise<Float32Array>;

/** CompVis (eps-prediction, variance-exploding) input/output scalings for a sigma. */
export function compVisScalings(sigma: number): { cIn: number; cOut: number } {
  return { cIn: 1 / Math.sqrt(sigma * sigma + 1), cOut: -sigma };
}

/**
 * Wraps an epsilon model into a {@link DenoiseFn} the way k-diffusion's `CompVisDenoiser` and OnnxStream
 * do: denoised = x + eps(x * c_in, t(sigma)) * c_out.
 * @param model - the eps-prediction model.
 * @param logSigmas - training log-sigma table for sigma -> timestep (default: SD scaled-linear).
 */
export function compVisDenoiser(
  model: EpsilonModel,
  logSigmas: ArrayLike<number> = defaultLogSigmas(),
): DenoiseFn {
  return async (x, sigma) => {
    const { cIn, cOut } = compVisScalings(sigma);
    const scaled = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) scaled[i] = x[i] * cIn;
    const eps = await model(scaled, sigmaToTimestep(sigma, logSigmas), sigma);
    if (eps.length !== x.length)
      throw new Error(`epsilon model returned ${eps.length} values for ${x.length}`);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] + eps[i] * cOut;
    return out;
  };
}

/**
 * Classifier-free guidance: uncond + scale * (cond - uncond), elementwise. OnnxStream uses scale 7
 * (hard-coded) for SD 1.5 and SDXL base and no guidance for Turbo.
 */
export function classifierFreeGuidance(uncond: Float32Array, cond: Float32Array, scale = 7): Float32Array {
  if (uncond.length !== cond.length) throw new Error('guidance inputs differ in length');
  const out = new Float32Array(cond.length);
  for (let i = 0; i < cond.length; i++) out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  return out;
}

/** Combines two denoisers (unconditional, conditional) with {@link classifierFreeGuidance}. */
export function cfgDenoiser(uncond: DenoiseFn, cond: DenoiseFn, scale = 7): DenoiseFn {
  return async (x, sigma) => classifierFreeGuidance(await uncond(x, sigma), await cond(x, sigma), scale);
}
