import { binaryOp, boolOnly } from './support/elementwise.js';

export const Xor = binaryOp({ type: 'Xor', accepts: boolOnly, number: (a, b) => a ^ b });
