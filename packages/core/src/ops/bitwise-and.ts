import { binaryOp, integerOnly } from './support/elementwise.js';

export const BitwiseAnd = binaryOp({
  type: 'BitwiseAnd',
  accepts: integerOnly,
  number: (a, b) => a & b,
  bigint: (a, b) => a & b,
});
