/**
 * MT19937, the 32-bit Mersenne Twister of Matsumoto and Nishimura (1998), exactly as `std::mt19937`
 * in the C++ standard library: seeding by the standard's linear recurrence
 * (`x[i] = 1812433253 * (x[i-1] ^ (x[i-1] >> 30)) + i`), the standard tempering, and the
 * well-known check values (default seed 5489 -> first output 3499211612, 10000th output 4123659995).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;

/** A source of uniformly distributed unsigned 32-bit integers. */
export interface Uint32Source {
  /** The next value, an integer in [0, 2^32). */
  nextUint32(): number;
}

/** `std::mt19937`: deterministic 32-bit Mersenne Twister. */
export class Mt19937 implements Uint32Source {
  /** The default seed of `std::mt19937` (used when a C++ program does not pass one). */
  static readonly DEFAULT_SEED = 5489;

  private readonly state = new Uint32Array(N);
  private index = N;

  /** @param seed - any number; it is reduced modulo 2^32 like `static_cast<uint32_t>(seed)`. */
  constructor(seed: number = Mt19937.DEFAULT_SEED) {
    this.seed(seed);
  }

  /** Re-seeds the generator (same as `gen.seed(s)` in C++). */
  seed(seed: number): void {
    const s = this.state;
    s[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32 (Math.imul keeps the low 32 bits).
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & UPPER) | (s[(i + 1) % N] & LOWER);
      let v = s[(i + M) % N] ^ (y >>> 1);
      if (y & 1) v ^= MATRIX_A;
      s[i] = v >>> 0;
    }
    this.index = 0;
  }

  /** The next tempered output, an integer in [0, 2^32). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Skips `n` outputs (`gen.discard(n)`). */
  discard(n: number): void {
    for (let i = 0; i < n; i++) this.nextUint32();
  }
}
