/**
 * `std::normal_distribution` of GNU libstdc++ (GCC's C++ standard library), reproduced bit for bit for
 * `float` and, within the limits noted below, for `double`.
 *
 * libstdc++ uses the Marsaglia polar method and caches the second value of every pair:
 *
 * ```text
 * if (saved_available) { saved_available = false; return saved; }
 * do {
 *   x = 2 * U() - 1;  y = 2 * U() - 1;  r2 = x*x + y*y;      // all in RealType
 * } while (r2 > 1 || r2 == 0);
 * mult = sqrt(-2 * log(r2) / r2);
 * saved = x * mult;  saved_available = true;
 * return y * mult;                                           // then * stddev + mean
 * ```
 *
 * `U()` is `std::generate_canonical<RealType, digits>(gen)`: for `float` (24 digits) one 32-bit draw
 * `u`, `U = float(u) / 2^32` (with `float(u)` rounded to nearest, and a result of 1 replaced by the
 * float just below 1); for `double` (53 digits) two draws, `U = double(u0 + u1 * 2^32) / 2^64`.
 *
 * Exactness: the float path uses {@link logf} (a bit-exact port of glibc's `logf`) and correctly rounded
 * float arithmetic, so it matches a non-FMA x86-64 Linux build (OnnxStream's default build). A
 * `-march=native` build may contract `x*x + y*y` into an FMA and differ in rare values. The double path
 * uses `Math.log`, which may differ from glibc's `log` in the last bit in rare cases.
 */
import { logf } from './logf.js';
import type { Uint32Source } from './mt19937.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_64 = TWO_POW_32 * TWO_POW_32;
/** `std::nextafter(1.0f, 0.0f)`. */
const FLOAT_BELOW_ONE = 1 - 2 ** -24;
/** `std::nextafter(1.0, 0.0)`. */
const DOUBLE_BELOW_ONE = 1 - 2 ** -53;

/** `std::generate_canonical<float, 24>(gen)` of libstdc++: a float in [0, 1). */
export function generateCanonicalFloat(gen: Uint32Source): number {
  const ret = Math.fround(gen.nextUint32()) / TWO_POW_32; // exact: power-of-two divisor
  return ret >= 1 ? FLOAT_BELOW_ONE : ret;
}

/** `std::generate_canonical<double, 53>(gen)` of libstdc++: a double in [0, 1) from two draws. */
export function generateCanonicalDouble(gen: Uint32Source): number {
  const u0 = gen.nextUint32();
  const u1 = gen.nextUint32();
  // sum = double(u0) + double(u1) * 2^32, each operation rounded to double.
  const ret = (u0 + u1 * TWO_POW_32) / TWO_POW_64;
  return ret >= 1 ? DOUBLE_BELOW_ONE : ret;
}

/** Precision of a {@link StdNormalDistribution}: `std::normal_distribution<float>` or `<double>`. */
export type StdRealType = 'float' | 'double';

/**
 * Stateful equivalent of `std::normal_distribution<RealType> d{mean, stddev}` drawing from a
 * 32-bit engine (normally {@link Mt19937}). The engine is held by reference, as in C++.
 */
export class StdNormalDistribution {
  private saved = 0;
  private savedAvailable = false;

  /**
   * @param gen - the engine (`std::mt19937` in OnnxStream).
   * @param realType - `'float'` (OnnxStream's choice) or `'double'`.
   * @param mean - distribution mean.
   * @param stddev - distribution standard deviation.
   */
  constructor(
    private readonly gen: Uint32Source,
    readonly realType: StdRealType = 'float',
    readonly mean = 0,
    readonly stddev = 1,
  ) {}

  /** Forgets the cached second value (`d.reset()`). */
  reset(): void {
    this.savedAvailable = false;
  }

  /** The next normal deviate (`d(gen)`). */
  next(): number {
    return this.realType === 'float' ? this.nextFloat() : this.nextDouble();
  }

  private nextFloat(): number {
    const f = Math.fround;
    let ret: number;
    if (this.savedAvailable) {
      this.savedAvailable = false;
      ret = this.saved;
    } else {
      let x: number;
      let y: number;
      let r2: number;
      do {
        // `result_type(2.0) * U() - 1.0`: 2U is exact, the subtraction is exact in double and rounded
        // once when stored to float.
        x = f(2 * generateCanonicalFloat(this.gen) - 1);
        y = f(2 * generateCanonicalFloat(this.gen) - 1);
        r2 = f(f(x * x) + f(y * y));
      } while (r2 > 1 || r2 === 0);
      // -2 * logf(r2) is exact (times a power of two); the division and sqrt are rounded to float.
      const mult = f(Math.sqrt(f((-2 * logf(r2)) / r2)));
      this.saved = f(x * mult);
      this.savedAvailable = true;
      ret = f(y * mult);
    }
    return f(f(ret * this.stddev) + this.mean);
  }

  private nextDouble(): number {
    let ret: number;
    if (this.savedAvailable) {
      this.savedAvailable = false;
      ret = this.saved;
    } else {
      let x: number;
      let y: number;
      let r2: number;
      do {
        x = 2 * generateCanonicalDouble(this.gen) - 1;
        y = 2 * generateCanonicalDouble(this.gen) - 1;
        r2 = x * x + y * y;
      } while (r2 > 1 || r2 === 0);
      const mult = Math.sqrt((-2 * Math.log(r2)) / r2);
      this.saved = x * mult;
      this.savedAvailable = true;
      ret = y * mult;
    }
    return ret * this.stddev + this.mean;
  }

  /** Fills `out` (or a new Float32Array of `length`) with consecutive deviates. */
  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }
}
