import { allocData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { transposeData } from '../tensor/transpose.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

/** The `perm` attribute checked against `rank` (default: reversed axes). */
function permutation(attrs: Attributes, rank: number): number[] {
  const perm = attrs.has('perm') ? attrs.ints('perm') : undefined;
  const p = perm ? perm.map((a) => (a < 0 ? a + rank : a)) : [...Array(rank).keys()].reverse();
  check(
    p.length === rank && new Set(p).size === rank && p.every((a) => a >= 0 && a < rank),
    () => `perm [${perm}] is not a permutation of ${rank} axes`,
  );
  return p;
}

export const Transpose: OpDef = {
  type: 'Transpose',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type }];
    return [{ type: x.type, dims: permutation(ctx.attrs, x.dims.length).map((a) => x.dims![a]) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const p = permutation(ctx.attrs, x.dims.length);
    const out = allocData(x.type, x.size);
    transposeData<unknown>(x.data, x.dims, p, out);
    return [
      new Tensor(
        x.type,
        out as never,
        p.map((a) => x.dims[a]),
        x.quant,
      ),
    ];
  },
};
