import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceMin: OpDef = reduceOp('ReduceMin', 'min');
