/**
 * Sampling schedules: the decreasing noise levels sigma_0 > ... > sigma_{n-1} > sigma_n = 0 a sampler
 * walks through. All return `steps + 1` values ending in 0 (k-diffusion's `append_zero`).
 */
import { timestepToSigma } from './timestep.js';
import { defaultLogSigmas } from './training.js';

function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
}

/** `linspace(start, end, n)` with exact end points. */
function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i === n - 1 ? end : start + ((end - start) * i) / (n - 1));
  return out;
}

/**
 * The default schedule of OnnxStream (reference section 7.5), identical to k-diffusion's
 * `CompVisDenoiser.get_sigmas(steps)`: timesteps t_i = 999 - i * 999 / (steps - 1) (t = 999 when
 * steps = 1), sigma_i = {@link timestepToSigma}(t_i), then 0 appended.
 * @param steps - number of sampling steps.
 * @param logSigmas - training log-sigma table (default: SD scaled-linear).
 */
export function defaultSigmas(
  steps: number,
  logSigmas: ArrayLike<number> = defaultLogSigmas(),
): Float64Array {
  checkSteps(steps);
  const tMax = logSigmas.length - 1;
  const out = new Float64Array(steps + 1);
  linspace(tMax, 0, steps).forEach((t, i) => {
    out[i] = timestepToSigma(t, logSigmas);
  });
  return out;
}

/**
 * Karras et al. (2022) schedule, k-diffusion `get_sigmas_karras`:
 * sigma_i = (sigmaMax^(1/rho) + i/(steps-1) * (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho, then 0.
 * @param steps - number of sampling steps.
 * @param sigmaMin - smallest non-zero sigma (SD: ~0.0292).
 * @param sigmaMax - largest sigma (SD: ~14.6146).
 * @param rho - curvature, 7 in the paper.
 */
export function karrasSigmas(steps: number, sigmaMin: number, sigmaMax: number, rho = 7): Float64Array {
  checkSteps(steps);
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  const out = new Float64Array(steps + 1);
  linspace(0, 1, steps).forEach((ramp, i) => {
    out[i] = (maxInv + ramp * (minInv - maxInv)) ** rho;
  });
  return out;
}

/**
 * Exponential schedule, k-diffusion `get_sigmas_exponential`: log-sigma linear from log(sigmaMax) to
 * log(sigmaMin), then 0.
 */
export function exponentialSigmas(steps: number, sigmaMin: number, sigmaMax: number): Float64Array {
  checkSteps(steps);
  const out = new Float64Array(steps + 1);
  linspace(Math.log(sigmaMax), Math.log(sigmaMin), steps).forEach((l, i) => {
    out[i] = Math.exp(l);
  });
  return out;
}

/** The smallest and largest training sigma of a log-sigma table (defaults: SD, ~0.0292 and ~14.6146). */
export function sigmaRange(logSigmas: ArrayLike<number> = defaultLogSigmas()): {
  sigmaMin: number;
  sigmaMax: number;
} {
  return { sigmaMin: Math.exp(logSigmas[0]), sigmaMax: Math.exp(logSigmas[logSigmas.length - 1]) };
}
