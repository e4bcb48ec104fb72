/**
 * glibc's `srand()` / `rand()` (the default TYPE_3 additive feedback generator of `random_r.c`,
 * degree 31, separation 3). OnnxStream's samplers call `std::srand(seed++)` and then `rand() % 1000`
 * to pick the seed of each step's noise, so reproducing its images on Linux needs this exact stream.
 *
 * Algorithm (glibc `__srandom_r` / `__random_r`): r[0] = seed (0 is replaced by 1);
 * r[i] = 16807 * r[i-1] mod (2^31 - 1) for i in 1..30 (Schrage's method, negative results + 2^31-1);
 * then r[i] = r[i-31] + r[i-3] (mod 2^32) for i >= 31; the first 310 values after the 31 seeds are
 * discarded and each output is r[i] >>> 1. Check values: after srand(1), rand() returns
 * 1804289383, 846930886, 1681692777, ...
 */
export class GlibcRand {
  /** `RAND_MAX` of glibc. */
  static readonly RAND_MAX = 0x7fffffff;

  private buffer = new Int32Array(31);
  private front = 0;
  private rear = 0;

  /** @param seed - as for {@link GlibcRand.srand}. */
  constructor(seed = 1) {
    this.srand(seed);
  }

  /** `srand(seed)`; the seed is taken modulo 2^32 like C's `unsigned int` parameter. */
  srand(seed: number): void {
    let word = seed >>> 0;
    if (word === 0) word = 1;
    const state = new Int32Array(31);
    state[0] = word | 0;
    // glibc iterates on a 64-bit `long` copy of the unsigned seed (Schrage's method).
    let w = word;
    for (let i = 1; i < 31; i++) {
      const hi = Math.trunc(w / 127773);
      const lo = w % 127773;
      w = 16807 * lo - 2836 * hi;
      if (w < 0) w += 2147483647;
      state[i] = w;
    }
    // Circular buffer of 31 words: fptr starts at index 3 (SEP_3), rptr at 0.
    this.buffer = state;
    this.front = 3;
    this.rear = 0;
    for (let i = 0; i < 310; i++) this.step();
  }

  private step(): number {
    const b = this.buffer;
    const v = (b[this.front] + b[this.rear]) | 0;
    b[this.front] = v;
    this.front = (this.front + 1) % 31;
    this.rear = (this.rear + 1) % 31;
    return (v >>> 1) & 0x7fffffff;
  }

  /** `rand()`: the next value in [0, RAND_MAX]. */
  rand(): number {
    return this.step();
  }
}
