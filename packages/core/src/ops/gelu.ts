import { check } from './op.js';
import { erf, floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_PI = Math.sqrt(2 / Math.PI);

/** 0.5 x (1 + erf(x / sqrt 2)), or with approximate='tanh' 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const Gelu = unaryOpWithAttrs({ type: 'Gelu', accepts: floatOnly }, (attrs) => {
  const approximate = attrs.string('approximate', 'none');
  check(
    approximate === 'none' || approximate === 'tanh',
    () => `approximate must be 'none' or 'tanh', got '${approximate}'`,
  );
  if (approximate === 'tanh') return (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_PI * (x + 0.044715 * x * x * x)));
  return (x) => 0.5 * x * (1 + erf(x * SQRT1_2));
});
