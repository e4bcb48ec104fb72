import { variadicOp } from './support/elementwise.js';

export const Sum = variadicOp({ type: 'Sum', number: (a, b) => a + b, bigint: (a, b) => a + b });
