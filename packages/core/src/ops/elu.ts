import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

export const Elu = unaryOpWithAttrs({ type: 'Elu', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 1);
  return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
});
