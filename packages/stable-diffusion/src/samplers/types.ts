/** Types shared by the samplers. */
import type { DenoiseFn } from '../denoiser.js';
import type { NoiseSource } from '../rng/noise.js';

/** What a sampler reports after each step (arrays are live views: copy them to keep them). */
export interface SamplerStepInfo {
  /** Step index, 0-based. */
  step: number;
  /** Total number of steps (sigmas.length - 1). */
  steps: number;
  /** Noise level at the start of the step. */
  sigma: number;
  /** Noise level targeted by the step. */
  sigmaNext: number;
  /** The sample after the step. */
  x: Float32Array;
  /** The denoiser output at the start of the step. */
  denoised: Float32Array;
}

/** Options of every sampler. */
export interface SamplerOptions {
  /** Noise levels sigma_0 > ... > sigma_n = 0 (length steps + 1), e.g. from `defaultSigmas(steps)`. */
  sigmas: ArrayLike<number>;
  /** Required by the stochastic samplers; also defines which noise OnnxStream-exact runs use. */
  noise?: NoiseSource;
  /**
   * SDXL Turbo adjustments of OnnxStream (reference section 7.7): the `sigma_reshaper` curves on
   * sigma_{i+1}, eta 0.5 for `dpm++3msde_a`, the softened DDIM/TCD prescaling.
   */
  turbo?: boolean;
  /**
   * `'k-diffusion'` (default) evaluates DPM-Solver++(2S) midpoints at sigma_mid = sqrt(sigma_i * sigma_next),
   * as published; `'onnxstream'` reproduces OnnxStream, which evaluates them at sigma_{i+1}.
   */
  variant?: 'k-diffusion' | 'onnxstream';
  /** Called after every step. */
  onStep?: (info: SamplerStepInfo) => void | Promise<void>;
  /** Aborts between model evaluations. */
  signal?: AbortSignal;
}

/**
 * A sampler: integrates from `x` (noise already scaled by sigma_0) down the sigma schedule using
 * `denoise`, returning a new array (the input is not modified).
 */
export type Sampler = (denoise: DenoiseFn, x: Float32Array, options: SamplerOptions) => Promise<Float32Array>;
