import { variadicOp } from './support/elementwise.js';

/** Elementwise maximum of one or more broadcast inputs; NaN wins, as in numpy. */
export const Max = variadicOp({
  type: 'Max',
  number: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
  bigint: (a, b) => (a > b ? a : b),
});
