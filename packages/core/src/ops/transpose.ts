import { allocData } from '../tensor/dtype.js';
import { stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Output dims and the permutation (default: reversed axes). */
function permutation(rank: number, perm: readonly number[] | undefined): number[] {
  const p = perm ? perm.map((a) => (a < 0 ? a + rank : a)) : [...Array(rank).keys()].reverse();
  check(
    p.length === rank && new Set(p).size === rank && p.every((a) => a >= 0 && a < rank),
    () => `perm [${perm}] is not a permutation of ${rank} axes`,
  );
  return p;
}

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

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const p = permutation(x.dims.length, perm);
  const outDims = p.map((a) => x.dims[a]);
  const out = allocData(x.type, x.size);
  transposeData(x.data as Float32Array, x.dims, p, out as Float32Array);
  return new Tensor(x.type, out as never, outDims, x.quant);
}

export const Transpose: OpDef = {
  type: 'Transpose',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type }];
    const p = permutation(x.dims.length, ctx.attrs.has('perm') ? ctx.attrs.ints('perm') : undefined);
    return [{ type: x.type, dims: p.map((a) => x.dims![a]) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    return [transpose(x, permutation(x.dims.length, ctx.attrs.has('perm') ? ctx.attrs.ints('perm') : undefined))];
  },
};
