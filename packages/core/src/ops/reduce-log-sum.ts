import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceLogSum: OpDef = reduceOp('ReduceLogSum', 'logSum');
