import type { OpDef } from './op.js';
import { inferTrailingNorm, runTrailingNorm } from './support/nn-norm.js';

export const LayerNormalization: OpDef = {
  type: 'LayerNormalization',
  infer: (ctx) => inferTrailingNorm(ctx, false),
  run: (ctx) => runTrailingNorm(ctx, false),
};
