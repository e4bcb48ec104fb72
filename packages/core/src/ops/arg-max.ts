import type { OpDef } from './op.js';
import { argReduceOp } from './support/reduce.js';

export const ArgMax: OpDef = argReduceOp('ArgMax', true);
