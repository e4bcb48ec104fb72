import { floatOnly, unaryOp } from './support/elementwise.js';

export const Exp = unaryOp({
  type: 'Exp',
  accepts: floatOnly,
  number: Math.exp,
});
