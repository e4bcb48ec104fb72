import { binaryOp, boolOnly } from './support/elementwise.js';

export const Or = binaryOp({ type: 'Or', accepts: boolOnly, number: (a, b) => a | b });
