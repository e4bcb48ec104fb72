import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceSum: OpDef = reduceOp('ReduceSum', 'sum');
