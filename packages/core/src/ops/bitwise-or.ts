import { binaryOp, integerOnly } from './support/elementwise.js';

export const BitwiseOr = binaryOp({
  type: 'BitwiseOr',
  accepts: integerOnly,
  number: (a, b) => a | b,
  bigint: (a, b) => a | b,
});
