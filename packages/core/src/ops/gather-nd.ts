import type { Dim } from '../graph/graph.js';
import { shapeSize } from '../tensor/shape.js';
import { input, type OpDef } from './op.js';
import { allocElements, elementsOf, tensorOf } from './support/tensor-data.js';
import { sliceTargets } from './support/tensor-scatter.js';

/** GatherND: output = indices.dims[:-1] + data.dims[batch_dims + k:], one data slice per index tuple. */
export const GatherND: OpDef = {
  type: 'GatherND',
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    const k = idx?.dims?.[idx.dims.length - 1];
    if (!x?.dims || !idx?.dims || typeof k !== 'number') return [{ type: x?.type }];
    const b = ctx.attrs.int('batch_dims', 0);
    const dims: Dim[] = [...idx.dims.slice(0, -1), ...x.dims.slice(b + k)];
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const indices = input(ctx, 1);
    const b = ctx.attrs.int('batch_dims', 0);
    const { starts, sliceSize, k } = sliceTargets(x.dims, indices, b);
    const outDims = [...indices.dims.slice(0, -1), ...x.dims.slice(b + k)];
    const src = elementsOf(x);
    const out = allocElements(x.type, shapeSize(outDims));
    let o = 0;
    for (let t = 0; t < starts.length; t++) {
      for (let j = 0; j < sliceSize; j++) out[o++] = src[starts[t] + j];
    }
    return [tensorOf(x.type, out, outDims, x.quant)];
  },
};
