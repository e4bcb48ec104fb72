import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

/** max(0, x) + min(0, alpha * (e^(x/alpha) - 1)). */
export const Celu = unaryOpWithAttrs({ type: 'Celu', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 1);
  return (x) => (x > 0 ? x : alpha * Math.expm1(x / alpha));
});
