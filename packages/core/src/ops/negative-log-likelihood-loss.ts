import { asNumbers } from '../tensor/convert.js';
import { input, type OpDef } from './op.js';
import { inferLoss, nllLoss } from './support/control-loss.js';

/** NegativeLogLikelihoodLoss: -input[n, target[n, d], d], weighted, optionally reduced. */
export const NegativeLogLikelihoodLoss: OpDef = {
  type: 'NegativeLogLikelihoodLoss',
  infer: (ctx) => [inferLoss(ctx)],
  run(ctx) {
    const x = input(ctx, 0);
    return [nllLoss(ctx, asNumbers(x), x.dims, x.type, input(ctx, 1))];
  },
};
