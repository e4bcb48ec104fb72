/**
 * The one random number generator of the random operators (RandomUniform, RandomNormal and their
 * *Like forms, Bernoulli, Multinomial, Dropout).
 *
 * A node with a `seed` attribute draws the stream of numpy's legacy `np.random.RandomState(seed)`,
 * the generator of ONNX's reference implementation, so seeded nodes reproduce its values:
 * MT19937 seeded by init_genrand, uniform doubles as `random_sample` (53 bits from two outputs),
 * normal deviates as `randn` (the polar method, which keeps the second deviate of each pair) and
 * Bernoulli draws as `binomial(1, p)` (numpy's inversion). Seeds are truncated to integers and
 * wrapped to 32 bits (numpy rejects seeds outside [0, 2^32)). Without a seed, or with a NaN one,
 * each kernel call seeds from Math.random.
 *
 * Values that numpy drew from its unseeded global state cannot be reproduced: the ONNX Bernoulli
 * conformance cases are such (test_bernoulli_seed too: its generator ignored the node's seed).
 */
import { encodeNumbers } from '../../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, type InferContext, input, type KernelContext, type OpDef } from '../op.js';

const N = 624;
const M = 397;

export class Random {
  readonly #mt = new Uint32Array(N);
  #index = N;
  /** The second deviate of the last polar pair (numpy's `gauss` cache). */
  #gauss: number | undefined;

  /** MT19937 seeded as numpy's RandomState(seed) (init_genrand). */
  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = Math.trunc(seed) >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = Math.imul(1812433253, prev) + i;
    }
  }

  #twist(): void {
    const mt = this.#mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.#index = 0;
  }

  /** The next 32 random bits. */
  uint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform in [0, 1) from 53 random bits (numpy's random_sample). */
  uniform(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal (numpy's legacy gauss: polar method, pairs cached). */
  normal(): number {
    const cached = this.#gauss;
    if (cached !== undefined) {
      this.#gauss = undefined;
      return cached;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.uniform() - 1;
      x2 = 2 * this.uniform() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.#gauss = f * x1;
    return f * x2;
  }

  /** 1 with probability p (in [0, 1]), else 0, drawn as numpy's binomial(1, p). */
  bernoulli(p: number): number {
    // numpy inverts on min(p, 1 - p) and mirrors the result; every call draws (p = 0 too).
    return p <= 0.5 ? this.#binomialOne(p) : 1 - this.#binomialOne(1 - p);
  }

  /** numpy's binomial inversion for n = 1, with its arithmetic (and its redraw past the bound). */
  #binomialOne(p: number): number {
    const q = 1 - p;
    const qn = Math.exp(Math.log(q));
    const p1 = (p * qn) / q;
    for (;;) {
      const u = this.uniform();
      if (!(u > qn)) return 0;
      if (!(u - qn > p1)) return 1;
    }
  }
}

/** The generator of one kernel call: the node's seed attribute, else a fresh seed. */
export function randomFor(ctx: KernelContext): Random {
  const seed = ctx.attrs.has('seed') ? ctx.attrs.float('seed') : Number.NaN;
  return new Random(Number.isNaN(seed) ? Math.random() * 2 ** 32 : seed);
}

/** The output type: the `dtype` attribute, else `fallback` (the input's type for the *Like ops). */
export function randomType(
  ctx: InferContext | KernelContext,
  fallback: DataType | undefined,
): DataType | undefined {
  return ctx.attrs.has('dtype') ? dataTypeFromOnnx(ctx.attrs.int('dtype')) : fallback;
}

/** Draws one value from the node's distribution. */
type Sampler = (ctx: KernelContext, rng: Random) => () => number;

/**
 * A random generator operator: RandomUniform/RandomNormal (shape attribute, no input) or their
 * *Like variants (the input's shape, and its type unless `dtype` says otherwise). Values are drawn
 * in row-major order, as numpy's `rand(*shape)` and `randn(*shape)` fill them.
 */
export function randomGenerator(type: string, like: boolean, sampler: Sampler): OpDef {
  return {
    type,
    nondeterministic: true,
    infer(ctx) {
      if (like) return [{ type: randomType(ctx, ctx.inputs[0]?.type), dims: ctx.inputs[0]?.dims }];
      return [{ type: randomType(ctx, 'float32'), dims: [...ctx.attrs.ints('shape')] }];
    },
    run(ctx) {
      const dims = like ? input(ctx, 0).dims : ctx.attrs.ints('shape');
      const outType = randomType(ctx, like ? input(ctx, 0).type : 'float32')!;
      check(isFloat(outType), () => `random values of type ${outType} are not supported`);
      const draw = sampler(ctx, randomFor(ctx));
      const out = new Float64Array(shapeSize(dims));
      for (let i = 0; i < out.length; i++) out[i] = draw();
      return [new Tensor(outType, encodeNumbers(outType, out) as never, dims)];
    },
  };
}

export const uniformSampler: Sampler = (ctx, rng) => {
  const low = ctx.attrs.float('low', 0);
  const span = ctx.attrs.float('high', 1) - low;
  return () => low + span * rng.uniform();
};

export const normalSampler: Sampler = (ctx, rng) => {
  const mean = ctx.attrs.float('mean', 0);
  const scale = ctx.attrs.float('scale', 1);
  return () => mean + scale * rng.normal();
};
