import { floatOnly, unaryOp } from './support/elementwise.js';

export const Floor = unaryOp({
  type: 'Floor',
  accepts: floatOnly,
  number: Math.floor,
});
