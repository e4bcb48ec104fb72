import { input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';

/** The input, sharing its data. */
export const Identity: OpDef = {
  type: 'Identity',
  infer: sameAsInput,
  run: (ctx) => {
    const x = input(ctx, 0);
    return [x.reshape(x.dims)];
  },
};
