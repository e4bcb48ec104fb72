/**
 * The training noise schedule of Stable Diffusion 1.x/2.x/XL (and Turbo): "scaled linear" betas,
 * beta_i = (sqrt(0.00085) + i/(N-1) * (sqrt(0.012) - sqrt(0.00085)))^2 for N = 1000 timesteps,
 * alphaBar_i = prod_{j<=i} (1 - beta_j), sigma_i = sqrt((1 - alphaBar_i) / alphaBar_i)
 * (k-diffusion's variance-exploding view of the DDPM schedule). OnnxStream hard-codes the logarithms
 * of these 1000 sigmas (`log_sigmas`, reference section 7.5).
 */

/** Default first beta of the scaled-linear schedule. */
export const SD_BETA_START = 0.00085;
/** Default last beta of the scaled-linear schedule. */
export const SD_BETA_END = 0.012;
/** Number of training timesteps. */
export const SD_TRAINING_STEPS = 1000;

/**
 * The training sigmas, ascending in timestep (index t = 0..steps-1), computed in double precision.
 * sigma_min = sigmas[0] ~ 0.0292, sigma_max = sigmas[999] ~ 14.6146.
 */
export function trainingSigmas(
  betaStart = SD_BETA_START,
  betaEnd = SD_BETA_END,
  steps = SD_TRAINING_STEPS,
): Float64Array {
  const sigmas = new Float64Array(steps);
  let alphaBar = 1;
  const a = Math.sqrt(betaStart);
  const b = Math.sqrt(betaEnd);
  for (let i = 0; i < steps; i++) {
    const beta = (a + ((b - a) * i) / (steps - 1)) ** 2;
    alphaBar *= 1 - beta;
    sigmas[i] = Math.sqrt((1 - alphaBar) / alphaBar);
  }
  return sigmas;
}

/** Natural logarithms of {@link trainingSigmas} (OnnxStream's `log_sigmas` table, in double precision). */
export function trainingLogSigmas(
  betaStart = SD_BETA_START,
  betaEnd = SD_BETA_END,
  steps = SD_TRAINING_STEPS,
): Float64Array {
  return trainingSigmas(betaStart, betaEnd, steps).map(Math.log);
}

let cachedLogSigmas: Float64Array | undefined;

/** The default SD log-sigma table, computed once and shared (treat as read-only). */
export function defaultLogSigmas(): Float64Array {
  cachedLogSigmas ??= trainingLogSigmas();
  return cachedLogSigmas;
}
