import { floatOnly, unaryOp } from './support/elementwise.js';

export const Softsign = unaryOp({
  type: 'Softsign',
  accepts: floatOnly,
  number: (x) => x / (1 + Math.abs(x)),
});
