/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3" (SC'11), as in Random123, cuRAND, JAX and PyTorch's CUDA generator.
 * A 128-bit counter and a 64-bit key go through 10 rounds of two 32x32->64-bit multiplications;
 * every block gives four 32-bit outputs. Being pure integer arithmetic it is identical everywhere.
 */
import type { Uint32Source } from './mt19937.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers (exact in doubles). */
function mulhi32(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  const lo = al * bl;
  const mid = ah * bl + al * bh + Math.floor(lo / 65536);
  return (ah * bh + Math.floor(mid / 65536)) >>> 0;
}

/**
 * One Philox4x32-10 block: encrypts `counter` (4 words) under `key` (2 words) and returns 4 words.
 * @param out - optional output array (reused to avoid allocation).
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/**
 * A sequential 32-bit stream from Philox4x32-10: key = the 64-bit seed, counter = (block index low,
 * block index high, stream id, 0). Different `stream` values give independent sequences for one seed.
 */
export class PhiloxStream implements Uint32Source {
  private readonly key: Uint32Array;
  private readonly counter = new Uint32Array(4);
  private readonly block = new Uint32Array(4);
  private used = 4;

  /**
   * @param seed - a non-negative integer below 2^53 (split into the two key words).
   * @param stream - stream id below 2^32 (third counter word).
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`Philox seed must be a safe non-negative integer, got ${seed}`);
    this.key = Uint32Array.of(seed % 4294967296, Math.floor(seed / 4294967296));
    this.counter[2] = stream >>> 0;
  }

  /** The next 32-bit output. */
  nextUint32(): number {
    if (this.used === 4) {
      philox4x32(this.counter, this.key, this.block);
      this.counter[0] = (this.counter[0] + 1) >>> 0;
      if (this.counter[0] === 0) this.counter[1] = (this.counter[1] + 1) >>> 0;
      this.used = 0;
    }
    return this.block[this.used++];
  }
}
