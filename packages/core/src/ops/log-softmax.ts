import type { OpDef } from './op.js';
import { runSoftmax } from './support/axis-reduce.js';
import { sameAsInput } from './support/infer.js';

export const LogSoftmax: OpDef = {
  type: 'LogSoftmax',
  infer: sameAsInput,
  run: (ctx) => runSoftmax(ctx, true),
};
