import { floatOnly, unaryOp } from './support/elementwise.js';

export const Sqrt = unaryOp({
  type: 'Sqrt',
  accepts: floatOnly,
  number: Math.sqrt,
});
