/**
 * Noise sources for the samplers: where the initial latent noise and the per-step noise of the
 * ancestral/SDE samplers come from. Two implementations:
 *
 * - {@link onnxstreamNoise}: OnnxStream's exact streams (reference section 7.6). The initial latent is
 *   `std::normal_distribution<float>` over `std::mt19937(seed % 1000)`; every stochastic step does
 *   `std::srand(seed++)` and draws a fresh latent from `std::mt19937(rand() % 1000)`. Bit-exact with
 *   OnnxStream built with GCC/libstdc++ on glibc (Linux); MSVC builds produce other streams.
 * - {@link philoxNoise}: our documented, platform-independent generator: Philox4x32-10 keyed by the
 *   seed, one counter stream per draw (stream 0 = initial latent, stream k = k-th step draw), turned
 *   into normals by the same float polar method (with the bit-exact {@link logf}). Seeds are not folded
 *   modulo 1000, so every seed gives a different image.
 */
import { GlibcRand } from './glibc-rand.js';
import { Mt19937 } from './mt19937.js';
import { PhiloxStream } from './philox.js';
import { StdNormalDistribution, type StdRealType } from './std-normal.js';

/** Supplies standard-normal noise (mean 0, variance 1) to a sampling run. */
export interface NoiseSource {
  /** Noise for the initial latent (the pipeline multiplies it by sigma_0). */
  initial(length: number): Float32Array;
  /** Fresh noise for one stochastic sampler step; each call advances the source. */
  step(length: number): Float32Array;
}

/** Mirrors C's `int % 1000` followed by a conversion to `unsigned int`. */
function cIntMod1000AsUnsigned(seed: number): number {
  return ((seed | 0) % 1000) >>> 0;
}

/**
 * OnnxStream's `randn_4_w_h(seed, w, h)`: `length` consecutive draws of
 * `std::normal_distribution<float>(0, 1)` over `std::mt19937(seed)`, in channel-major order.
 * @param seed - the engine seed (taken modulo 2^32, like `static_cast<unsigned int>`).
 * @param realType - `'float'` as OnnxStream, or `'double'` for `normal_distribution<double>`.
 */
export function stdRandn(seed: number, length: number, realType: StdRealType = 'float'): Float32Array {
  const dist = new StdNormalDistribution(new Mt19937(seed >>> 0), realType);
  return dist.fill(new Float32Array(length));
}

/** Options of {@link onnxstreamNoise}. */
export interface OnnxStreamNoiseOptions {
  /** `normal_distribution` precision; OnnxStream uses `'float'`. */
  realType?: StdRealType;
}

/**
 * OnnxStream's noise (reference section 7.6): initial noise from `mt19937(seed % 1000)`, and for each
 * stochastic step `srand(s++)` (s starting at `seed`) then `mt19937(rand() % 1000)`.
 * `--num N` in OnnxStream uses `seed + k` for image k: create one source per image.
 * @param seed - the image seed, a C `int` (values are wrapped to 32 bits).
 */
export function onnxstreamNoise(seed: number, options: OnnxStreamNoiseOptions = {}): NoiseSource {
  const realType = options.realType ?? 'float';
  let stepSeed = seed | 0;
  const rand = new GlibcRand();
  return {
    initial: (length) => stdRandn(cIntMod1000AsUnsigned(seed), length, realType),
    step: (length) => {
      rand.srand(stepSeed >>> 0);
      stepSeed = (stepSeed + 1) | 0;
      return stdRandn(rand.rand() % 1000, length, realType);
    },
  };
}

/**
 * Our own deterministic noise: Philox4x32-10 (key = seed) with one counter stream per draw, converted to
 * normals by the libstdc++-style float polar method. Identical on every platform and JS engine.
 * @param seed - a non-negative safe integer.
 */
export function philoxNoise(seed: number): NoiseSource {
  let stream = 0;
  const draw = (s: number, length: number) =>
    new StdNormalDistribution(new PhiloxStream(seed, s), 'float').fill(new Float32Array(length));
  return {
    initial: (length) => draw(0, length),
    step: (length) => draw(++stream, length),
  };
}
