import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceMax: OpDef = reduceOp('ReduceMax', 'max');
