import { floatOnly, unaryOp } from './support/elementwise.js';

export const Acos = unaryOp({
  type: 'Acos',
  accepts: floatOnly,
  number: Math.acos,
});
