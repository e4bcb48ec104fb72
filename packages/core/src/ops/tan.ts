import { floatOnly, unaryOp } from './support/elementwise.js';

export const Tan = unaryOp({
  type: 'Tan',
  accepts: floatOnly,
  number: Math.tan,
});
