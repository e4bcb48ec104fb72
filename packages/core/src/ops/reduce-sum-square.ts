import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceSumSquare: OpDef = reduceOp('ReduceSumSquare', 'sumSquare');
