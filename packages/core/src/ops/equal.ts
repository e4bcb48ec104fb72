import { compareOp } from './support/elementwise.js';

/** Any type, strings and bool included. */
export const Equal = compareOp({ type: 'Equal', accepts: () => true, test: (a, b) => a === b });
