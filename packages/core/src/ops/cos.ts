import { floatOnly, unaryOp } from './support/elementwise.js';

export const Cos = unaryOp({
  type: 'Cos',
  accepts: floatOnly,
  number: Math.cos,
});
