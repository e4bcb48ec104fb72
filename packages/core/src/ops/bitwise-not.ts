import { integerOnly, unaryOp } from './support/elementwise.js';

/** ~x; the store into the type's array keeps the type's width (~5 as uint8 is 250). */
export const BitwiseNot = unaryOp({
  type: 'BitwiseNot',
  accepts: integerOnly,
  number: (x) => ~x,
  bigint: (x) => ~x,
});
