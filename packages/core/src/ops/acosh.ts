import { floatOnly, unaryOp } from './support/elementwise.js';

export const Acosh = unaryOp({
  type: 'Acosh',
  accepts: floatOnly,
  number: Math.acosh,
});
