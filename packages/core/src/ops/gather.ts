import type { Dim } from '../graph/graph.js';
import { normalizeAxis } from '../tensor/shape.js';
import { input, type OpDef } from './op.js';
import { indexValues, resolveIndex, takeSlices, tensorOf } from './support/tensor-data.js';

/** Gather: output = data.dims[:axis] + indices.dims + data.dims[axis+1:], taking whole inner blocks. */
export const Gather: OpDef = {
  type: 'Gather',
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    if (!x?.dims || !idx?.dims) return [{ type: x?.type }];
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const dims: Dim[] = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const indices = input(ctx, 1);
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const idx = indexValues(indices);
    const dim = x.dims[axis];
    const rows = Int32Array.from(idx, (i) => resolveIndex(i, dim));
    const outDims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
    return [tensorOf(x.type, takeSlices(x, axis, rows), outDims, x.quant)];
  },
};
