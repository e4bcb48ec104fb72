import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceL2: OpDef = reduceOp('ReduceL2', 'l2');
