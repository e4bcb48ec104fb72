import { binaryOp, boolOnly } from './support/elementwise.js';

export const And = binaryOp({ type: 'And', accepts: boolOnly, number: (a, b) => a & b });
