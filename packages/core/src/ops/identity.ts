import { Tensor } from '../tensor/tensor.js';
import { check, type OpDef } from './op.js';

/** The input, sharing its data: a tensor, or a sequence or optional passed through as is. */
export const Identity: OpDef = {
  type: 'Identity',
  infer: (ctx) => {
    const x = ctx.inputs[0];
    return [{ kind: x?.kind, optionalOf: x?.optionalOf, type: x?.type, dims: x?.dims }];
  },
  run: (ctx) => {
    const x = ctx.values[0];
    check(x, 'input 0 is required');
    return [x instanceof Tensor ? x.reshape(x.dims) : x];
  },
};
