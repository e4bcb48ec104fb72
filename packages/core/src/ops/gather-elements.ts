import { normalizeAxis } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { allocElements, elementsOf, indexValues, tensorOf } from './support/tensor-data.js';
import { elementTargets } from './support/tensor-scatter.js';

/** GatherElements: out[i...] = data[i... with axis coordinate replaced by indices[i...]]; output shaped like indices. */
export const GatherElements: OpDef = {
  type: 'GatherElements',
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    return [{ type: x?.type, dims: idx?.dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const indices = input(ctx, 1);
    check(
      indices.dims.length === x.dims.length,
      () => `indices rank ${indices.dims.length} differs from data rank ${x.dims.length}`,
    );
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const targets = elementTargets(x.dims, indices.dims, indexValues(indices), axis);
    const src = elementsOf(x);
    const out = allocElements(x.type, targets.length);
    for (let i = 0; i < targets.length; i++) out[i] = src[targets[i]];
    return [tensorOf(x.type, out, indices.dims, x.quant)];
  },
};
