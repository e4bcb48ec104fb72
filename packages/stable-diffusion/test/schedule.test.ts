import { describe, expect, it } from 'vitest';
import {
  defaultSigmas,
  exponentialSigmas,
  karrasSigmas,
  sigmaRange,
  sigmaToTimestep,
  timestepToSigma,
  trainingLogSigmas,
  trainingSigmas,
} from '../src/index.js';

/** Independent double-precision recomputation of the scaled-linear schedule (alphas via a product of (1 - beta)). */
function referenceSigmas(): number[] {
  const betas = Array.from({ length: 1000 }, (_, i) => {
    const s = Math.sqrt(0.00085) * (1 - i / 999) + Math.sqrt(0.012) * (i / 999);
    return s * s;
  });
  const out: number[] = [];
  let alphaBar = 1;
  for (const b of betas) {
    alphaBar *= 1 - b;
    out.push(Math.sqrt(1 / alphaBar - 1));
  }
  return out;
}

describe('training schedule', () => {
  const ref = referenceSigmas();
  const s = trainingSigmas();

  it('matches the formula in double precision', () => {
    expect(s).toHaveLength(1000);
    for (let i = 0; i < 1000; i++) expect(s[i]).toBeCloseTo(ref[i], 12);
  });

  it('spans the SD range OnnxStream hard-codes (log sigma from -3.535 to 2.682)', () => {
    // OnnxStream's log_sigmas table starts at -3.534 and ends at 2.682024 (reference section 7.5).
    expect(Math.log(s[0])).toBeCloseTo(-3.5347, 3);
    expect(Math.log(s[999])).toBeCloseTo(2.682024, 5);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
    // Hand check of the first entry: alphaBar_0 = 1 - 0.00085, sigma_0 = sqrt(0.00085 / 0.99915).
    expect(s[0]).toBeCloseTo(Math.sqrt(0.00085 / 0.99915), 14);
    const { sigmaMin, sigmaMax } = sigmaRange();
    expect(sigmaMin).toBeCloseTo(0.0291675, 6);
    expect(sigmaMax).toBeCloseTo(14.614642, 5);
  });
});

describe('timestep <-> sigma (k-diffusion log-sigma interpolation)', () => {
  const logs = trainingLogSigmas();

  it('integer timesteps give the table', () => {
    expect(timestepToSigma(0)).toBeCloseTo(Math.exp(logs[0]), 14);
    expect(timestepToSigma(999)).toBeCloseTo(Math.exp(logs[999]), 12);
    expect(sigmaToTimestep(Math.exp(logs[500]))).toBeCloseTo(500, 9);
  });

  it('fractional timesteps interpolate log sigma linearly', () => {
    const t = 123.25;
    expect(Math.log(timestepToSigma(t))).toBeCloseTo(0.75 * logs[123] + 0.25 * logs[124], 12);
  });

  it('round-trips', () => {
    for (const t of [0, 0.5, 1, 17.3, 400.9, 998.99, 999])
      expect(sigmaToTimestep(timestepToSigma(t))).toBeCloseTo(t, 8);
  });

  it('clamps outside the table', () => {
    expect(sigmaToTimestep(1e-6)).toBe(0);
    expect(sigmaToTimestep(1e6)).toBe(999);
  });
});

describe('sampling schedules', () => {
  const logs = trainingLogSigmas();

  it("OnnxStream's default: t_i = 999 - i * 999 / (steps - 1), then 0", () => {
    const s = defaultSigmas(10);
    expect(s).toHaveLength(11);
    expect(s[10]).toBe(0);
    expect(s[0]).toBeCloseTo(Math.exp(logs[999]), 12);
    expect(s[9]).toBeCloseTo(Math.exp(logs[0]), 12);
    // i = 1: t = 888 exactly.
    expect(s[1]).toBeCloseTo(Math.exp(logs[888]), 12);
    // i = 4 with 7 steps: t = 999 - 4 * 166.5 = 333.
    expect(defaultSigmas(7)[4]).toBeCloseTo(Math.exp(logs[333]), 12);
    // i = 1 with 4 steps: t = 666.
    expect(defaultSigmas(4)[1]).toBeCloseTo(Math.exp(logs[666]), 12);
    // i = 1 with 3 steps: t = 499.5 -> halfway in log space.
    expect(defaultSigmas(3)[1]).toBeCloseTo(Math.exp((logs[499] + logs[500]) / 2), 12);
    expect([...defaultSigmas(1)]).toEqual([timestepToSigma(999), 0]);
  });

  it('Karras (rho = 7)', () => {
    const s = karrasSigmas(5, 0.1, 10, 7);
    expect(s).toHaveLength(6);
    expect(s[0]).toBeCloseTo(10, 12);
    expect(s[4]).toBeCloseTo(0.1, 12);
    expect(s[5]).toBe(0);
    // Middle value: ((10^(1/7) + 0.1^(1/7)) / 2)^7, computed by hand: 10^(1/7) = 1.389495, 0.1^(1/7) = 0.719686.
    expect(s[2]).toBeCloseTo(((1.3894954943731375 + 0.7196856730011519) / 2) ** 7, 10);
  });

  it('exponential (log-linear)', () => {
    const s = exponentialSigmas(3, 0.1, 10);
    expect([...s.slice(0, 3)].map((v) => Number(v.toFixed(12)))).toEqual([10, 1, 0.1]);
    expect(s[3]).toBe(0);
  });
});
