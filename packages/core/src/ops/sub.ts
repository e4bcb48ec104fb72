import { binaryOp } from './support/elementwise.js';

export const Sub = binaryOp({ type: 'Sub', number: (a, b) => a - b, bigint: (a, b) => a - b });
