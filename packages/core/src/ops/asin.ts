import { floatOnly, unaryOp } from './support/elementwise.js';

export const Asin = unaryOp({
  type: 'Asin',
  accepts: floatOnly,
  number: Math.asin,
});
