import { floatOnly, runUnary, variadicOp } from './support/elementwise.js';

/** The sum of the broadcast inputs (added in their own type, left to right) divided by their count. */
export const Mean = variadicOp({ type: 'Mean', accepts: floatOnly, number: (a, b) => a + b }, (sum, count) =>
  runUnary({ type: 'Mean', accepts: floatOnly, number: (x) => x / count }, sum),
);
