import { input, type OpDef } from './op.js';
import { dimProduct, int64Tensor } from './support/tensor-data.js';

export const Size: OpDef = {
  type: 'Size',
  infer(ctx) {
    const dims = ctx.inputs[0]?.dims;
    const n = dims ? dimProduct(dims) : null;
    return [{ type: 'int64', dims: [], value: n === null ? undefined : int64Tensor([n], []) }];
  },
  run: (ctx) => [int64Tensor([input(ctx, 0).size], [])],
};
