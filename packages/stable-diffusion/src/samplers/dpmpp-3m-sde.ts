/**
 * DPM-Solver++(3M) SDE (k-diffusion `sample_dpmpp_3m_sde`). With h = log sigma_i - log sigma_{i+1},
 * h_eta = h (eta + 1), r0 = h_1 / h, r1 = h_2 / h (h_1, h_2 the previous steps):
 *
 * x = e^{-h_eta} x - expm1(-h_eta) D, then with phi_2 = expm1(-h_eta)/h_eta + 1, phi_3 = phi_2/h_eta - 1/2:
 * - with two previous D: d1_0 = (D - D_1)/r0, d1_1 = (D_1 - D_2)/r1, d1 = d1_0 + (d1_0 - d1_1) r0/(r0 + r1),
 *   d2 = (d1_0 - d1_1)/(r0 + r1), x += phi_2 d1 - phi_3 d2;
 * - with one: x += phi_2 (D - D_1)/r0;
 * - then, when eta > 0, x += noise * sigma_{i+1} sqrt(1 - e^{-2 h eta}).
 * x = D when sigma_{i+1} = 0. For Turbo, OnnxStream averages each sigma with its reshaped value.
 */
import { runSampler } from './run.js';
import type { Sampler } from './types.js';

function make3mSde(ancestral: boolean): Sampler {
  return (denoise, x, options) => {
    const eta = ancestral ? (options.turbo ? 0.5 : 1) : 0;
    let d1: Float32Array | undefined;
    let d2: Float32Array | undefined;
    return runSampler(denoise, x, options, (ctx) => {
      const { i, x, denoised, sigmas, sigma } = ctx;
      const turbo = options.turbo === true;
      // Turbo: OnnxStream applies the reshaper twice and averages; identity otherwise.
      const soften = (s: number, step: number) => (turbo ? (s + ctx.reshape(s, step)) / 2 : s);
      const si1 = soften(ctx.reshape(sigmas[i + 1], i), i);
      if (si1 === 0) {
        x.set(denoised);
      } else {
        const h = Math.log(sigma) - Math.log(si1);
        const hEta = h * (eta + 1);
        const decay = Math.exp(-hEta);
        const em1 = Math.expm1(-hEta);
        for (let k = 0; k < x.length; k++) x[k] = decay * x[k] - em1 * denoised[k];
        const phi2 = em1 / hEta + 1;
        if (i > 0 && d1) {
          const si0 = soften(ctx.reshape(sigmas[i], i - 1), i - 1);
          const r0 = (Math.log(sigmas[i - 1]) - Math.log(si0)) / h;
          if (i > 1 && d2) {
            const sm1 = soften(ctx.reshape(sigmas[i - 1], i - 2), i - 2);
            const r1 = (Math.log(sigmas[i - 2]) - Math.log(sm1)) / h;
            const phi3 = phi2 / hEta - 0.5;
            for (let k = 0; k < x.length; k++) {
              const a = (denoised[k] - d1[k]) / r0;
              const b = (d1[k] - d2[k]) / r1;
              const first = a + ((a - b) * r0) / (r0 + r1);
              const second = (a - b) / (r0 + r1);
              x[k] += phi2 * first - phi3 * second;
            }
          } else {
            for (let k = 0; k < x.length; k++) x[k] += (phi2 * (denoised[k] - d1[k])) / r0;
          }
        }
        if (eta) {
          const noise = ctx.noise();
          const scale = si1 * Math.sqrt(Math.max(0, -Math.expm1(-2 * h * eta)));
          for (let k = 0; k < x.length; k++) x[k] += noise[k] * scale;
        }
      }
      d2 = d1;
      d1 = Float32Array.from(denoised);
    });
  };
}

/** `dpm++3msde`: DPM-Solver++(3M) SDE with eta = 0 (deterministic). */
export const dpmpp3mSde: Sampler = make3mSde(false);

/** `dpm++3msde_a`: DPM-Solver++(3M) SDE with eta = 1 (0.5 for Turbo) and noise. */
export const dpmpp3mSdeAncestral: Sampler = make3mSde(true);
