/**
 * Conversions between a continuous timestep t in [0, N-1] and a noise level sigma, as k-diffusion's
 * `DiscreteSchedule` (used by `CompVisDenoiser`) and OnnxStream do them: by linear interpolation of
 * log-sigma between neighbouring integer timesteps.
 */
import { defaultLogSigmas } from './training.js';

/**
 * `t_to_sigma`: sigma(t) = exp((1 - w) * logSigmas[floor t] + w * logSigmas[ceil t]), w = t - floor t.
 * @param t - timestep in [0, logSigmas.length - 1].
 * @param logSigmas - ascending log-sigma table (default: the SD scaled-linear schedule).
 */
export function timestepToSigma(t: number, logSigmas: ArrayLike<number> = defaultLogSigmas()): number {
  const max = logSigmas.length - 1;
  if (!(t >= 0 && t <= max)) throw new RangeError(`timestep ${t} outside [0, ${max}]`);
  const low = Math.floor(t);
  const high = Math.ceil(t);
  const w = t - low;
  return Math.exp((1 - w) * logSigmas[low] + w * logSigmas[high]);
}

/**
 * `sigma_to_t`: the inverse of {@link timestepToSigma}. As in k-diffusion, low = the last index whose
 * log-sigma is <= log(sigma), clamped to [0, N-2]; w = (logS[low] - log sigma) / (logS[low] - logS[low+1])
 * clamped to [0, 1]; t = (1 - w) * low + w * (low + 1). Sigmas outside the table clamp to 0 or N-1.
 * @param sigma - noise level (> 0).
 * @param logSigmas - ascending log-sigma table (default: the SD scaled-linear schedule).
 */
export function sigmaToTimestep(sigma: number, logSigmas: ArrayLike<number> = defaultLogSigmas()): number {
  const logSigma = Math.log(sigma);
  const n = logSigmas.length;
  // argmax of the cumulative count of (logSigma >= logSigmas[i]) = last i where it holds (0 if none).
  let low = 0;
  for (let i = 0; i < n; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, n - 2);
  const high = low + 1;
  const lo = logSigmas[low];
  const hi = logSigmas[high];
  const w = Math.max(0, Math.min(1, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * high;
}
