import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceMean: OpDef = reduceOp('ReduceMean', 'mean');
