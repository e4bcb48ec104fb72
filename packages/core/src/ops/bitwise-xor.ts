import { binaryOp, integerOnly } from './support/elementwise.js';

export const BitwiseXor = binaryOp({
  type: 'BitwiseXor',
  accepts: integerOnly,
  number: (a, b) => a ^ b,
  bigint: (a, b) => a ^ b,
});
