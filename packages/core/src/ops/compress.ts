import { asNumbers } from '../tensor/convert.js';
import { normalizeAxis } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { takeSlices, tensorOf } from './support/tensor-data.js';

/**
 * Compress: keeps the slices along `axis` (or the elements of the flattened input) whose condition
 * is true; a shorter condition drops the rest.
 */
export const Compress: OpDef = {
  type: 'Compress',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!ctx.attrs.has('axis')) return [{ type: x?.type, dims: [null] }];
    if (!x?.dims) return [{ type: x?.type }];
    const dims = [...x.dims];
    dims[normalizeAxis(ctx.attrs.int('axis'), dims.length)] = null;
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x0 = input(ctx, 0);
    const condition = input(ctx, 1);
    check(condition.dims.length === 1, () => `condition must be 1-D, has rank ${condition.dims.length}`);
    const hasAxis = ctx.attrs.has('axis');
    const x = hasAxis ? x0 : x0.reshape([x0.size]);
    const axis = hasAxis ? normalizeAxis(ctx.attrs.int('axis'), x.dims.length) : 0;
    const n = x.dims[axis];
    const c = asNumbers(condition);
    const kept: number[] = [];
    for (let s = 0; s < c.length; s++) {
      if (!c[s]) continue;
      check(s < n, () => `condition selects index ${s} beyond the axis length ${n}`);
      kept.push(s);
    }
    const outDims = [...x.dims];
    outDims[axis] = kept.length;
    return [tensorOf(x.type, takeSlices(x, axis, kept), outDims, x.quant)];
  },
};
