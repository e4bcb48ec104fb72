import { floatOnly, unaryOp } from './support/elementwise.js';

export const Sin = unaryOp({
  type: 'Sin',
  accepts: floatOnly,
  number: Math.sin,
});
