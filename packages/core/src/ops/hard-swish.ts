import { floatOnly, unaryOp } from './support/elementwise.js';

/** x * max(0, min(1, x / 6 + 0.5)). */
export const HardSwish = unaryOp({
  type: 'HardSwish',
  accepts: floatOnly,
  number: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
});
