import { binaryOp } from './support/elementwise.js';

export const Mul = binaryOp({
  type: 'Mul',
  number: (a, b) => a * b,
  // Exact wrapped product for types of 32 bits or less (doubles lose bits above 2^53).
  integer: (a, b) => Math.imul(a, b),
  bigint: (a, b) => a * b,
});
