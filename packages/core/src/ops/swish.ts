import { sigmoid } from './sigmoid.js';
import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

/** x * sigmoid(alpha * x) (opset 24). */
export const Swish = unaryOpWithAttrs({ type: 'Swish', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', 1);
  return (x) => x * sigmoid(alpha * x);
});
