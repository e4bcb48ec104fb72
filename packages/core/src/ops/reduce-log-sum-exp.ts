import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceLogSumExp: OpDef = reduceOp('ReduceLogSumExp', 'logSumExp');
