import { describe, expect, it } from 'vitest';
import { stridesOf } from './shape.js';
import { coalesce, transposeData } from './transpose.js';

/** out[i0..] = x[perm-indexed], one element at a time: the definition. */
function naive(x: Float32Array, dims: number[], perm: number[]): Float32Array {
  const outDims = perm.map((a) => dims[a]);
  const n = x.length;
  const out = new Float32Array(n);
  const inStrides = stridesOf(dims);
  const outStrides = stridesOf(outDims);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < outDims.length; d++)
      src += (Math.floor(o / outStrides[d]) % outDims[d]) * inStrides[perm[d]];
    out[o] = x[src];
  }
  return out;
}

describe('transposeData', () => {
  it('merges axes that stay neighbours and drops unit axes', () => {
    expect(coalesce([8, 3, 3, 16], [0, 3, 1, 2])).toEqual({ dims: [8, 9, 16], perm: [0, 2, 1] });
    expect(coalesce([2, 1, 5], [2, 0, 1])).toEqual({ dims: [2, 5], perm: [1, 0] });
    expect(coalesce([4, 5], [0, 1])).toEqual({ dims: [20], perm: [0] });
  });

  it.each([
    [
      [2, 3, 4],
      [0, 2, 1],
    ],
    [
      [5, 3, 3, 7],
      [0, 3, 1, 2],
    ],
    [
      [37, 41],
      [1, 0],
    ],
    [
      [2, 1, 6, 1, 5],
      [4, 2, 0, 3, 1],
    ],
    [
      [3, 4, 5, 6],
      [2, 0, 3, 1],
    ],
    [
      [1, 1, 1],
      [2, 1, 0],
    ],
    [
      [70, 33],
      [0, 1],
    ],
  ])('matches the definition on %j with perm %j', (dims, perm) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => i * 1.5 - 7);
    const out = new Float32Array(n);
    transposeData(x, dims, perm, out);
    expect(out).toEqual(naive(x, dims, perm));
  });
});
