import { floatOnly, unaryOp } from './support/elementwise.js';

export const Ceil = unaryOp({
  type: 'Ceil',
  accepts: floatOnly,
  number: Math.ceil,
});
