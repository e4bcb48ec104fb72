import { floatOnly, unaryOp } from './support/elementwise.js';

export const IsNaN = unaryOp({
  type: 'IsNaN',
  accepts: floatOnly,
  output: 'bool',
  number: (x) => (Number.isNaN(x) ? 1 : 0),
});
