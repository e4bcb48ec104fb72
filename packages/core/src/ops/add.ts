import { binaryOp } from './support/elementwise.js';

export const Add = binaryOp({ type: 'Add', number: (a, b) => a + b, bigint: (a, b) => a + b });
