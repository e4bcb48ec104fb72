import type { OpDef } from './op.js';
import { inferTrailingNorm, runTrailingNorm } from './support/nn-norm.js';

export const RMSNormalization: OpDef = {
  type: 'RMSNormalization',
  infer: (ctx) => inferTrailingNorm(ctx, true),
  run: (ctx) => runTrailingNorm(ctx, true),
};
