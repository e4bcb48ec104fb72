import { floatOnly, unaryOp } from './support/elementwise.js';

export const Sinh = unaryOp({
  type: 'Sinh',
  accepts: floatOnly,
  number: Math.sinh,
});
