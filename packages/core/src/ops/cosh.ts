import { floatOnly, unaryOp } from './support/elementwise.js';

export const Cosh = unaryOp({
  type: 'Cosh',
  accepts: floatOnly,
  number: Math.cosh,
});
