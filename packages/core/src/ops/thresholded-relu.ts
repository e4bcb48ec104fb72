import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

export const ThresholdedRelu = unaryOpWithAttrs({ type: 'ThresholdedRelu', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 1);
  return (x) => (x > alpha ? x : 0);
});
