import { numeric, unaryOp } from './support/elementwise.js';

export const Abs = unaryOp({
  type: 'Abs',
  accepts: numeric,
  number: Math.abs,
  bigint: (x) => (x < 0n ? -x : x),
});
