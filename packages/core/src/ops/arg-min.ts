import type { OpDef } from './op.js';
import { argReduceOp } from './support/reduce.js';

export const ArgMin: OpDef = argReduceOp('ArgMin', false);
