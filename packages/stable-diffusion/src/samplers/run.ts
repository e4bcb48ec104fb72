/**
 * The step loop shared by all samplers: per step, optional prescaling, one denoiser evaluation at
 * sigma_i, the sampler's update (which may evaluate the denoiser again), then the `onStep` callback.
 */
import type { DenoiseFn } from '../denoiser.js';
import type { SamplerOptions } from './types.js';

/** Everything a sampler's update needs for step i. The update mutates `x` in place. */
export interface StepContext {
  /** Step index. */
  readonly i: number;
  /** Number of steps. */
  readonly steps: number;
  /** The full schedule (length steps + 1). */
  readonly sigmas: ArrayLike<number>;
  /** sigma_i. */
  readonly sigma: number;
  /** sigma_{i+1} (not reshaped). */
  readonly sigmaNext: number;
  /** Current sample; update in place. */
  readonly x: Float32Array;
  /** Denoiser output at (x, sigma_i). */
  readonly denoised: Float32Array;
  /** The denoiser, for samplers with extra evaluations. */
  readonly denoise: DenoiseFn;
  /** Sampler options. */
  readonly options: SamplerOptions;
  /** Fresh standard-normal noise for this step (throws without a noise source). */
  noise(): Float32Array;
  /** OnnxStream's Turbo `sigma_reshaper` (identity unless `options.turbo`). */
  reshape(sigmaNext: number, step: number): number;
  /** OnnxStream's softened `sigma_reshaper_sharp` (identity unless `options.turbo`). */
  reshapeSharp(sigmaNext: number, step: number): number;
}

/** A sampler's per-step update. */
export type StepFn = (ctx: StepContext) => void | Promise<void>;

/**
 * OnnxStream's Turbo `sigma_reshaper`: scales sigma_{i+1} by
 * ((steps - i)/steps)^e + ((i + 1)/steps)^e) / 2 with e = 2^-0.5 / steps (floored at 1e-4).
 */
export function turboReshape(sigmaNext: number, i: number, steps: number): number {
  const e = 2 ** -0.5 / steps;
  const curve = (((steps - i) / steps) ** e + ((i + 1) / steps) ** e) / 2;
  return sigmaNext * (curve ? Math.max(0.0001, curve) : 0);
}

/** OnnxStream's `sigma_reshaper_sharp`: moves only cbrt(3 / (steps - 2.5)) of the way to {@link turboReshape}. */
export function turboReshapeSharp(sigmaNext: number, i: number, steps: number): number {
  const pre = turboReshape(sigmaNext, i, steps);
  if (pre === sigmaNext) return sigmaNext;
  const smooth = 3 / (steps - 2.5);
  return sigmaNext + Math.sign(smooth) * Math.abs(smooth) ** (1 / 3) * (pre - sigmaNext);
}

/**
 * Runs `update` for every step of `options.sigmas`.
 * @param prescale - optional hook run before the denoiser call of each step (DDIM/TCD).
 */
export async function runSampler(
  denoise: DenoiseFn,
  x0: Float32Array,
  options: SamplerOptions,
  update: StepFn,
  prescale?: (ctx: Pick<StepContext, 'i' | 'steps' | 'sigmas' | 'x' | 'options'>) => void,
): Promise<Float32Array> {
  const { sigmas } = options;
  const steps = sigmas.length - 1;
  if (steps < 1) throw new RangeError('a schedule needs at least two sigmas');
  const x = Float32Array.from(x0);
  const turbo = options.turbo === true;
  for (let i = 0; i < steps; i++) {
    options.signal?.throwIfAborted();
    prescale?.({ i, steps, sigmas, x, options });
    const denoised = await denoise(x, sigmas[i]);
    if (denoised.length !== x.length)
      throw new Error(`denoiser returned ${denoised.length} values for ${x.length}`);
    await update({
      i,
      steps,
      sigmas,
      sigma: sigmas[i],
      sigmaNext: sigmas[i + 1],
      x,
      denoised,
      denoise: async (input, sigma) => {
        options.signal?.throwIfAborted();
        return denoise(input, sigma);
      },
      options,
      noise: () => {
        if (!options.noise) throw new Error('this sampler is stochastic: pass options.noise');
        const n = options.noise.step(x.length);
        if (n.length !== x.length) throw new Error('noise source returned the wrong length');
        return n;
      },
      reshape: (s, step) => (turbo ? turboReshape(s, step, steps) : s),
      reshapeSharp: (s, step) => (turbo ? turboReshapeSharp(s, step, steps) : s),
    });
    await options.onStep?.({ step: i, steps, sigma: sigmas[i], sigmaNext: sigmas[i + 1], x, denoised });
  }
  return x;
}

/**
 * k-diffusion `get_ancestral_step(sigma, sigmaNext, eta)`:
 * sigma_up = min(sigmaNext, eta * sqrt(sigmaNext^2 (sigma^2 - sigmaNext^2) / sigma^2)),
 * sigma_down = sqrt(sigmaNext^2 - sigma_up^2).
 */
export function ancestralStep(
  sigma: number,
  sigmaNext: number,
  eta = 1,
): { sigmaDown: number; sigmaUp: number } {
  if (!eta) return { sigmaDown: sigmaNext, sigmaUp: 0 };
  const sigmaUp = Math.min(
    sigmaNext,
    eta * Math.sqrt((sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext)) / (sigma * sigma)),
  );
  return { sigmaDown: Math.sqrt(sigmaNext * sigmaNext - sigmaUp * sigmaUp), sigmaUp };
}
