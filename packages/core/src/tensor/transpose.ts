/** Axis permutation of row-major data, shared by the Transpose operator and weight layout conversion. */
import { stridesOf } from './shape.js';

type Source<T> = { readonly [i: number]: T };
type Target<T> = { [i: number]: T; length: number };

/**
 * The same permutation on fewer axes: size-1 axes dropped, and input axes that stay neighbours in
 * the output merged (OHWI -> OIHW is [O, HW, I] -> [O, I, HW]).
 */
export function coalesce(
  dims: readonly number[],
  perm: readonly number[],
): { dims: number[]; perm: number[] } {
  const keep = perm.filter((a) => dims[a] !== 1);
  const groups: number[][] = [];
  for (const a of keep) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  // Order the groups by input position to number the merged input axes.
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  const merged = byInput.map((g) => g.reduce((n, a) => n * dims[a], 1));
  return { dims: merged, perm: groups.map((g) => byInput.indexOf(g)) };
}

/** Moves elements of `x` (row-major, dims `dims`) into axis order `perm`. */
export function transposeData<T>(
  x: Source<T>,
  dims: readonly number[],
  perm: readonly number[],
  out: Target<T>,
): void {
  const n = out.length;
  if (n === 0) return;
  const c = coalesce(dims, perm);
  const rank = c.dims.length;
  if (rank <= 1 || c.perm.every((a, i) => a === i)) {
    for (let i = 0; i < n; i++) out[i] = x[i];
    return;
  }
  // A batch of 2-D transposes (the last two axes swapped): blocked, so reads and writes both stay
  // within a few cache lines.
  if (
    c.perm[rank - 1] === rank - 2 &&
    c.perm[rank - 2] === rank - 1 &&
    c.perm.slice(0, -2).every((a, i) => a === i)
  ) {
    const rows = c.dims[rank - 2];
    const cols = c.dims[rank - 1];
    const plane = rows * cols;
    for (let base = 0; base < n; base += plane) transpose2d(x, out, base, rows, cols);
    return;
  }
  permute(x, c.dims, c.perm, out);
}

const BLOCK = 32;

function transpose2d<T>(x: Source<T>, out: Target<T>, base: number, rows: number, cols: number): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let c = c0; c < c1; c++) {
        const o = base + c * rows;
        for (let r = r0; r < r1; r++) out[o + r] = x[base + r * cols + c];
      }
    }
  }
}

/** Any permutation: an odometer over the output, reading the input through permuted strides. */
function permute<T>(x: Source<T>, dims: readonly number[], perm: readonly number[], out: Target<T>): void {
  const rank = dims.length;
  const outDims = perm.map((a) => dims[a]);
  const inStrides = stridesOf(dims);
  const s = perm.map((a) => inStrides[a]);
  const n = out.length;
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
