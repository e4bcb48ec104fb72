import { boolOnly, unaryOp } from './support/elementwise.js';

export const Not = unaryOp({ type: 'Not', accepts: boolOnly, number: (x) => (x ? 0 : 1) });
