import { compareOp, numeric } from './support/elementwise.js';

export const GreaterOrEqual = compareOp({ type: 'GreaterOrEqual', accepts: numeric, test: (a, b) => a >= b });
