import { signedNumeric, unaryOp } from './support/elementwise.js';

export const Neg = unaryOp({
  type: 'Neg',
  accepts: signedNumeric,
  number: (x) => -x,
  bigint: (x) => -x,
});
