import type { Dim } from '../graph/graph.js';
import { shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { dimProduct } from './support/tensor-data.js';

/** Flatten's split point: axis in [-rank, rank], default 1. */
function flattenAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  check(a >= 0 && a <= rank, () => `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export const Flatten: OpDef = {
  type: 'Flatten',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type, dims: [null, null] }];
    const a = flattenAxis(ctx.attrs.int('axis', 1), x.dims.length);
    const dims: Dim[] = [dimProduct(x.dims.slice(0, a)), dimProduct(x.dims.slice(a))];
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const a = flattenAxis(ctx.attrs.int('axis', 1), x.dims.length);
    return [x.reshape([shapeSize(x.dims.slice(0, a)), shapeSize(x.dims.slice(a))])];
  },
};
