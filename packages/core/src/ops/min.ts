import { variadicOp } from './support/elementwise.js';

/** Elementwise minimum of one or more broadcast inputs; NaN wins, as in numpy. */
export const Min = variadicOp({
  type: 'Min',
  number: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints.
  bigint: (a, b) => (a < b ? a : b),
});
