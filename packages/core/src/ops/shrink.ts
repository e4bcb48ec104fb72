import { numeric, unaryOpWithAttrs } from './support/elementwise.js';

/** x + bias below -lambd, x - bias above lambd, 0 between; any numeric type. */
export const Shrink = unaryOpWithAttrs({ type: 'Shrink', accepts: numeric }, (attrs) => {
  const bias = attrs.float('bias', 0);
  const lambd = attrs.float('lambd', 0.5);
  return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
});
