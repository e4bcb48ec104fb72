import { compareOp, numeric } from './support/elementwise.js';

export const LessOrEqual = compareOp({ type: 'LessOrEqual', accepts: numeric, test: (a, b) => a <= b });
