import { compareOp, numeric } from './support/elementwise.js';

export const Less = compareOp({ type: 'Less', accepts: numeric, test: (a, b) => a < b });
