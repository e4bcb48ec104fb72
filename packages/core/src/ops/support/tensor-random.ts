/**
 * Random numbers for the random operators. With a `seed` attribute the stream is numpy's legacy
 * `np.random.seed(seed); np.random.random_sample()` (MT19937), the generator ONNX's reference
 * outputs were made with, so seeded models reproduce them; without one it is Math.random.
 */

const N = 624;
const M = 397;

/** MT19937 seeded as numpy's legacy RandomState(seed) (init_genrand). */
class Mt19937 {
  readonly #mt = new Uint32Array(N);
  #index = N;

  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
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

  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) from 53 random bits, as numpy's random_sample. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** A source of uniform doubles in [0, 1): numpy-compatible when seeded. */
export function uniformSource(seed: number | undefined): () => number {
  if (seed === undefined) return Math.random;
  // numpy accepts seeds in [0, 2^32); others still give a fixed stream.
  const mt = new Mt19937(Math.trunc(seed) >>> 0);
  return () => mt.nextDouble();
}
