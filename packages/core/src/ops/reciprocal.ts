import { floatOnly, unaryOp } from './support/elementwise.js';

export const Reciprocal = unaryOp({
  type: 'Reciprocal',
  accepts: floatOnly,
  number: (x) => 1 / x,
});
