import { floatOnly, unaryOp } from './support/elementwise.js';

export const Asinh = unaryOp({
  type: 'Asinh',
  accepts: floatOnly,
  number: Math.asinh,
});
