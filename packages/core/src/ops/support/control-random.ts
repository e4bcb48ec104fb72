/**
 * Random numbers for the random operators: xoshiro128** (Blackman and Vigna) seeded through
 * splitmix32. A `seed` attribute is hashed from its float64 bits, so a seeded node draws the same
 * values on every run; without one, each run seeds from Math.random.
 */
import { encodeNumbers } from '../../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, type InferContext, input, type KernelContext, type OpDef } from '../op.js';

export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  /** A second normal deviate left over from the last Box-Muller pair. */
  #spare: number | undefined;

  constructor(seed: number) {
    const bits = new Uint32Array(new Float64Array([seed]).buffer);
    let x = (bits[0] ^ Math.imul(bits[1], 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  /** The next 32 random bits. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    const u = 1 - this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator of one kernel call: the node's seed attribute, else a fresh seed. */
export function randomFor(ctx: KernelContext): Random {
  return new Random(ctx.attrs.has('seed') ? ctx.attrs.float('seed') : Math.random() * 2 ** 32);
}

/** The output type: the `dtype` attribute, else `fallback` (the input's type for the *Like ops). */
export function randomType(
  ctx: InferContext | KernelContext,
  fallback: DataType | undefined,
): DataType | undefined {
  return ctx.attrs.has('dtype') ? dataTypeFromOnnx(ctx.attrs.int('dtype')) : fallback;
}

/** Draws one value from the node's distribution. */
export type Sampler = (ctx: KernelContext, rng: Random) => () => number;

/**
 * A random generator operator: RandomUniform/RandomNormal (shape attribute, no input) or their
 * *Like variants (the input's shape, and its type unless `dtype` says otherwise).
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
