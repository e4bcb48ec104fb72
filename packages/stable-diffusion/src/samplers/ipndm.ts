/**
 * Improved PNDM (iPNDM, Zhang & Chen 2023; k-diffusion `sample_ipndm` / `sample_ipndm_v`): explicit
 * Adams-Bashforth steps on d = (x - denoised) / sigma using up to three previous derivatives
 * (d_1 the most recent). h = sigma_{i+1} - sigma_i, h_k = sigma_{i-k+1} - sigma_{i-k}.
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/**
 * Weights (before multiplying by h) of [d, d_1, d_2, d_3] for a step of the given order (0-based:
 * order 0 = Euler, which uses no history).
 */
type Weights = (order: number, h: number, i: number, sigmas: ArrayLike<number>) => number[];

function makeIpndm(weights: Weights): Sampler {
  return (denoise, x, options) => {
    const history: Float64Array[] = [];
    return runSampler(denoise, x, options, ({ i, x, denoised, sigma, sigmaNext, sigmas, reshape }) => {
      const h = reshape(sigmaNext, i) - sigma;
      const d = new Float64Array(x.length);
      for (let k = 0; k < x.length; k++) d[k] = (x[k] - denoised[k]) / sigma;
      const c = weights(Math.min(i, 3), h, i, sigmas);
      for (let k = 0; k < x.length; k++) {
        let slope = c[0] * d[k];
        for (let j = 1; j < c.length; j++) slope += c[j] * history[j - 1][k];
        x[k] += h * slope;
      }
      history.unshift(d);
      if (history.length > 3) history.pop();
    });
  };
}

/** Fixed-step Adams-Bashforth weights of orders 1-4. */
function fixed(order: number): number[] {
  switch (order) {
    case 0:
      return [1];
    case 1:
      return [3 / 2, -1 / 2];
    case 2:
      return [23 / 12, -16 / 12, 5 / 12];
    default:
      return [55 / 24, -59 / 24, 37 / 24, -9 / 24];
  }
}

/** Second-order variable-step weights ((2 + r)/2, -r/2) with r = h / h_1. */
function variable2(h: number, h1: number): number[] {
  return [(2 + h / h1) / 2, -(h / h1) / 2];
}

/** `ipndm`: fixed coefficients (1), (3, -1)/2, (23, -16, 5)/12, (55, -59, 37, -9)/24. */
export const ipndm: Sampler = makeIpndm((order) => fixed(order));

/**
 * `ipndm_v` (OnnxStream, after stable-diffusion.cpp): variable-step second order,
 * ((2 + r) d - r d_1) / 2 with r = h / h_1; third and fourth order use the fixed coefficients.
 */
export const ipndmV: Sampler = makeIpndm((order, h, i, s) =>
  order === 1 ? variable2(h, s[i] - s[i - 1]) : fixed(order),
);

/**
 * `ipndm_vo`: the full variable-step iPNDM_v of k-diffusion's `sample_ipndm_v` (the authors' formulas)
 * for every order. Needs roughly twice the steps of the others (reference section 7.7).
 */
export const ipndmVo: Sampler = makeIpndm((order, h, i, s) => {
  if (order === 0) return [1];
  const h1 = s[i] - s[i - 1];
  if (order === 1) return variable2(h, h1);
  const h2 = s[i - 1] - s[i - 2];
  const temp1 = (1 - ((h / (3 * (h + h1))) * (h * (h + h1))) / (h1 * (h1 + h2))) / 2;
  const [c1, c2] = variable2(h, h1);
  if (order === 2) return [c1 + temp1, c2 - (1 + h1 / h2) * temp1, (temp1 * h1) / h2];
  const h3 = s[i - 2] - s[i - 3];
  const temp2 =
    (((1 - h / (3 * (h + h1))) / 2 + ((1 - h / (2 * (h + h1))) * h) / (6 * (h + h1 + h2))) *
      (h * (h + h1) * (h + h1 + h2))) /
    (h1 * (h1 + h2) * (h1 + h2 + h3));
  const q = (h1 * (h1 + h2)) / (h2 * (h2 + h3));
  return [
    c1 + temp1 + temp2,
    c2 - (1 + h1 / h2) * temp1 - (1 + h1 / h2 + q) * temp2,
    (temp1 * h1) / h2 + (h1 / h2 + q * (1 + h2 / h3)) * temp2,
    (-temp2 * q * h1) / h2,
  ];
});
