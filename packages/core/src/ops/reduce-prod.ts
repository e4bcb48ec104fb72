import type { OpDef } from './op.js';
import { reduceOp } from './support/reduce.js';

export const ReduceProd: OpDef = reduceOp('ReduceProd', 'prod');
