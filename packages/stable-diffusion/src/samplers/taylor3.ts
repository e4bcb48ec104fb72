/**
 * `taylor3`: OnnxStream's third-order Taylor extension of Euler (adapted there from aagdev/mlimgsynth).
 * With dt = sigma_{i+1} - sigma_i, the previous step's dt_p, d = (x - denoised) / sigma and d_1, d_2 the
 * derivatives of the previous two steps:
 *
 * - step 0: x += dt d
 * - step 1: x += dt d + dt^2/2 * (d - d_1)/dt_p
 * - later:  x += dt d + dt^2/2 * D2 + dt^3/6 * (D2 - d_2)/dt_p, where D2 = (d - d_1)/dt_p.
 *
 * The last term follows OnnxStream exactly (it differences D2 against the stored derivative d_2).
 * Turbo uses `sigma_reshaper_sharp` for sigma_{i+1}.
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

/** `taylor3`. */
export const taylor3: Sampler = (denoise, x, options) => {
  const history: Float64Array[] = [];
  let previousDt = 0;
  return runSampler(denoise, x, options, ({ i, x, denoised, sigma, sigmaNext, reshapeSharp }) => {
    const dt = reshapeSharp(sigmaNext, i) - sigma;
    const f2 = (dt * dt) / 2;
    const f3 = (dt * dt * dt) / 6;
    const d = new Float64Array(x.length);
    for (let k = 0; k < x.length; k++) {
      d[k] = (x[k] - denoised[k]) / sigma;
      if (i === 0) {
        x[k] += dt * d[k];
      } else {
        const d2 = (d[k] - history[0][k]) / previousDt;
        if (i === 1) x[k] += dt * d[k] + f2 * d2;
        else x[k] += dt * d[k] + f2 * d2 + (f3 * (d2 - history[1][k])) / previousDt;
      }
    }
    history.unshift(d);
    if (history.length > 2) history.pop();
    previousDt = dt;
  });
};
