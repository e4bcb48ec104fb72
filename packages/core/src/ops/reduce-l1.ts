import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceL1: OpDef = reduceOp('ReduceL1', 'l1');
