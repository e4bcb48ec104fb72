import { floatOnly, unaryOp } from './support/elementwise.js';

export const Atanh = unaryOp({
  type: 'Atanh',
  accepts: floatOnly,
  number: Math.atanh,
});
