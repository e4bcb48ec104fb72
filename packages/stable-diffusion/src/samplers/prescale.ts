/**
 * The latent prescaling OnnxStream (after stable-diffusion.cpp) applies before every DDIM/TCD step:
 * at step 0 x *= sqrt(sigma_0^2 + 1) / sigma_0 (pure noise in the variance-preserving convention),
 * later x *= sqrt(sigma_i^2 + 1) (back from the variance-preserving sample the previous step produced).
 * For Turbo the later factor is softened to its power 0.9925 - 2.5 / steps^2.
 */
import type { StepContext } from './run.js';

/** Applies the DDIM/TCD prescaling for step `i` in place. */
export function prescaleVariancePreserving(
  ctx: Pick<StepContext, 'i' | 'steps' | 'sigmas' | 'x' | 'options'>,
): void {
  const { i, steps, sigmas, x, options } = ctx;
  const s = sigmas[i];
  let scale: number;
  if (i === 0) {
    scale = Math.sqrt(s * s + 1) / s;
  } else {
    scale = Math.sqrt(s * s + 1);
    if (options.turbo) scale **= 0.9925 - 2.5 / steps / steps;
  }
  for (let k = 0; k < x.length; k++) x[k] *= scale;
}
