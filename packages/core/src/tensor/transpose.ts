/** Axis permutation of row-major data, shared by the Transpose operator and weight layout conversion. */
import { stridesOf } from './shape.js';

/** Moves elements of `x` (row-major, dims `dims`) into axis order `perm`. */
export function transposeData<T>(
  x: { readonly [i: number]: T },
  dims: readonly number[],
  perm: readonly number[],
  out: { [i: number]: T; length: number },
): void {
  const rank = dims.length;
  const outDims = perm.map((a) => dims[a]);
  const inStrides = stridesOf(dims);
  const s = perm.map((a) => inStrides[a]);
  const n = out.length;
  if (n === 0) return;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const inner = outDims[rank - 1];
  const si = s[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; ) {
    for (let j = 0; j < inner; j++) out[o++] = x[off + j * si];
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      off += s[d];
      if (counter[d] < outDims[d]) break;
      off -= s[d] * outDims[d];
      counter[d] = 0;
    }
  }
}
