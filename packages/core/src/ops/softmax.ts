import type { OpDef } from './op.js';
import { runSoftmax } from './support/axis-reduce.js';
import { sameAsInput } from './support/infer.js';

export const Softmax: OpDef = {
  type: 'Softmax',
  infer: sameAsInput,
  run: (ctx) => runSoftmax(ctx, false),
};
