import type { Dim } from '../graph/graph.js';
import { check, input, type OpDef } from './op.js';
import { axesArgument, inferAxesArgument, uniqueAxes } from './support/tensor-data.js';

/** Inserts 1s at `axes`, which index the output (rank + axes.length). */
function unsqueezeDims<D extends Dim>(dims: readonly D[], axes: readonly number[] | undefined): (D | 1)[] {
  check(axes, 'axes are required');
  const rank = dims.length + axes.length;
  const at = uniqueAxes(axes, rank);
  const out: (D | 1)[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : dims[k++]);
  return out;
}

export const Unsqueeze: OpDef = {
  type: 'Unsqueeze',
  infer(ctx) {
    const x = ctx.inputs[0];
    const axes = inferAxesArgument(ctx.attrs, ctx.inputs[1]);
    if (!x?.dims) return [{ type: x?.type }];
    if (axes === 'unknown') {
      const n = ctx.inputs[1]?.dims?.[0];
      return [
        {
          type: x.type,
          dims: typeof n === 'number' ? new Array<Dim>(x.dims.length + n).fill(null) : undefined,
        },
      ];
    }
    return [{ type: x.type, dims: unsqueezeDims(x.dims, axes) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    return [x.reshape(unsqueezeDims(x.dims, axesArgument(ctx.attrs, ctx.inputs[1])))];
  },
};
