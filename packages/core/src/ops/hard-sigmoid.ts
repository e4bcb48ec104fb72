import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

/** max(0, min(1, alpha * x + beta)). */
export const HardSigmoid = unaryOpWithAttrs({ type: 'HardSigmoid', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 0.2);
  const beta = attrs.float('beta', 0.5);
  return (x) => Math.max(0, Math.min(1, alpha * x + beta));
});
