import { floatOnly, unaryOp } from './support/elementwise.js';

export const Sigmoid = unaryOp({
  type: 'Sigmoid',
  accepts: floatOnly,
  // Split by sign so exp never overflows.
  number: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
});
