import { signedNumeric, unaryOp } from './support/elementwise.js';

export const Relu = unaryOp({
  type: 'Relu',
  accepts: signedNumeric,
  number: (x) => Math.max(x, 0),
  bigint: (x) => (x < 0n ? 0n : x),
});
