import { floatOnly, unaryOp } from './support/elementwise.js';

export const Atan = unaryOp({
  type: 'Atan',
  accepts: floatOnly,
  number: Math.atan,
});
