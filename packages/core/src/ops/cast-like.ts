import { castTensor } from '../tensor/convert.js';
import { castOptions } from './cast.js';
import { input, type OpDef } from './op.js';

/** Cast to the type of input 1 (whose values are not read). */
export const CastLike: OpDef = {
  type: 'CastLike',
  infer: (ctx) => [{ type: ctx.inputs[1]?.type, dims: ctx.inputs[0]?.dims }],
  run: (ctx) => [castTensor(input(ctx, 0), input(ctx, 1).type, castOptions(ctx.attrs))],
};
