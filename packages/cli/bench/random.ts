/** The benchmarks' seeded inputs and weights: a 32-bit LCG, uniform in [-0.5, 0.5). */
export function uniformFloats(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}
