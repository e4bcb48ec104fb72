import { floatOnly, unaryOp } from './support/elementwise.js';

export const Log = unaryOp({
  type: 'Log',
  accepts: floatOnly,
  number: Math.log,
});
