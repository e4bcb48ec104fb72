/**
 * Linear multistep (k-diffusion `sample_lms`, order 4): x += sum_j c_j d_{i-j} where
 * c_j = integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial through
 * sigma_i, ..., sigma_{i-order+1} that is 1 at sigma_{i-j}. k-diffusion integrates numerically
 * (scipy `quad`) and OnnxStream with a mix of quadrature rules; the basis polynomials have degree <= 3,
 * so here the integral is computed exactly.
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/**
 * The LMS coefficient of k-diffusion's `linear_multistep_coeff(order, t, i, j)`, computed exactly:
 * integral from t[i] to `upper` (default t[i+1]) of prod_{k != j, k < order} (tau - t[i-k]) / (t[i-j] - t[i-k]).
 */
export function linearMultistepCoefficient(
  order: number,
  t: ArrayLike<number>,
  i: number,
  j: number,
  upper: number = t[i + 1],
): number {
  if (order - 1 > i) throw new RangeError(`order ${order} too high for step ${i}`);
  // Polynomial coefficients, lowest degree first.
  let poly = [1];
  for (let k = 0; k < order; k++) {
    if (k === j) continue;
    const denom = t[i - j] - t[i - k];
    const root = t[i - k];
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let p = 0; p < poly.length; p++) {
      next[p + 1] += poly[p] / denom;
      next[p] -= (poly[p] * root) / denom;
    }
    poly = next;
  }
  const a = t[i];
  let sum = 0;
  for (let p = 0; p < poly.length; p++) sum += (poly[p] * (upper ** (p + 1) - a ** (p + 1))) / (p + 1);
  return sum;
}

/** `lms`: linear multistep of order up to 4 (sigma_{i+1} reshaped for Turbo). */
export const lms: Sampler = (denoise, x, options) => {
  const history: Float64Array[] = [];
  return runSampler(denoise, x, options, ({ i, x, denoised, sigma, sigmaNext, sigmas, reshape }) => {
    const d = new Float64Array(x.length);
    for (let k = 0; k < x.length; k++) d[k] = (x[k] - denoised[k]) / sigma;
    history.unshift(d);
    if (history.length > 4) history.pop();
    const order = Math.min(i + 1, 4);
    const upper = reshape(sigmaNext, i);
    const coeffs: number[] = [];
    for (let j = 0; j < order; j++) coeffs.push(linearMultistepCoefficient(order, sigmas, i, j, upper));
    for (let k = 0; k < x.length; k++) {
      let inc = 0;
      for (let j = 0; j < order; j++) inc += coeffs[j] * history[j][k];
      x[k] += inc;
    }
  });
};
