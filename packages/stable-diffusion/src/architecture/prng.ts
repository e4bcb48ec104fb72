/**
 * Deterministic weights for generated models.
 *
 * Every parameter tensor gets its own stream: the 32-bit seed of tensor `name` under model seed `seed`
 * is `fnv1a32(name) ^ mix32(seed)`, and the stream is mulberry32 from that seed (Tommy Ettinger's
 * mulberry32: `a += 0x6d2b79f5; t = imul(a ^ a>>>15, 1 | a); t ^= t + imul(t ^ t>>>7, 61 | t);
 * return (t ^ t>>>14) >>> 0`). A uniform value in [-bound, bound) is `(u / 2^32 * 2 - 1) * bound`.
 *
 * Because each tensor is seeded from its name, weights can be generated one tensor at a time, in any
 * order, on demand (the streaming writer never holds more than one tensor), and the same (seed, name)
 * always yields the same values on every platform.
 */

/** FNV-1a over the UTF-16 code units of `s` (names are ASCII). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit finaliser (murmur3 fmix32), so that nearby seeds give unrelated streams. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The mulberry32 seed of tensor `name` under model seed `seed`. */
export function tensorSeed(seed: number, name: string): number {
  return (fnv1a32(name) ^ mix32(seed)) >>> 0;
}

/** mulberry32: returns a generator of uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Fills `out` with uniform values in [-bound, bound) from the stream of (seed, name). */
export function fillUniform(out: Float32Array, bound: number, seed: number, name: string): Float32Array {
  // mulberry32 inlined: this runs over ~860M values for a full-size UNet.
  let a = tensorSeed(seed, name) | 0;
  const k = (2 * bound) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    out[i] = ((t ^ (t >>> 14)) >>> 0) * k - bound;
  }
  return out;
}
