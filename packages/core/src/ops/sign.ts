import { numeric, unaryOp } from './support/elementwise.js';

export const Sign = unaryOp({
  type: 'Sign',
  accepts: numeric,
  number: Math.sign,
  bigint: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
});
