import type { Dim } from '../graph/graph.js';
import { formatShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { axesArgument, inferAxesArgument, uniqueAxes } from './support/tensor-data.js';

/** Output dims: the listed axes (which must be 1) removed, or every 1 when no (or empty) axes are given. */
function squeezeDims(dims: readonly Dim[], axes: readonly number[] | undefined): Dim[] {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const drop = uniqueAxes(axes, dims.length);
  for (const a of drop) {
    const d = dims[a];
    check(
      d === 1 || typeof d !== 'number',
      () => `cannot squeeze axis ${a} of shape ${formatShape(dims)}: its size is not 1`,
    );
  }
  return dims.filter((_, i) => !drop.includes(i));
}

export const Squeeze: OpDef = {
  type: 'Squeeze',
  infer(ctx) {
    const x = ctx.inputs[0];
    const axes = inferAxesArgument(ctx.attrs, ctx.inputs[1]);
    if (!x?.dims || axes === 'unknown') return [{ type: x?.type }];
    // Without axes, unknown dims may or may not be 1: the rank is unknown.
    if (!axes?.length && x.dims.some((d) => typeof d !== 'number')) return [{ type: x.type }];
    return [{ type: x.type, dims: squeezeDims(x.dims, axes) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    return [x.reshape(squeezeDims(x.dims, axesArgument(ctx.attrs, ctx.inputs[1])) as number[])];
  },
};
