import { compareOp, numeric } from './support/elementwise.js';

export const Greater = compareOp({ type: 'Greater', accepts: numeric, test: (a, b) => a > b });
