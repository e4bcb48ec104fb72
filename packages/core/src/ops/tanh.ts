import { floatOnly, unaryOp } from './support/elementwise.js';

export const Tanh = unaryOp({
  type: 'Tanh',
  accepts: floatOnly,
  number: Math.tanh,
});
