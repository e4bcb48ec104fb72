import { binaryOp } from './support/elementwise.js';

/** Integer division truncates toward zero (as C and onnxruntime do); float division is IEEE. */
export const Div = binaryOp({
  type: 'Div',
  number: (a, b) => a / b,
  integer: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
  bigint: (a, b) => (b === 0n ? 0n : a / b),
});
