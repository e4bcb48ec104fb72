import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

export const LeakyRelu = unaryOpWithAttrs({ type: 'LeakyRelu', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 0.01);
  return (x) => (x < 0 ? alpha * x : x);
});
