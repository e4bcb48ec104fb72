import { allocData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { transposeData } from '../tensor/transpose.js';
import { check, input, type OpDef } from './op.js';

export { transposeData };

/** Output dims and the permutation (default: reversed axes). */
function permutation(rank: number, perm: readonly number[] | undefined): number[] {
  const p = perm ? perm.map((a) => (a < 0 ? a + rank : a)) : [...Array(rank).keys()].reverse();
  check(
    p.length === rank && new Set(p).size === rank && p.every((a) => a >= 0 && a < rank),
    () => `perm [${perm}] is not a permutation of ${rank} axes`,
  );
  return p;
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
    return [
      transpose(x, permutation(x.dims.length, ctx.attrs.has('perm') ? ctx.attrs.ints('perm') : undefined)),
    ];
  },
};
