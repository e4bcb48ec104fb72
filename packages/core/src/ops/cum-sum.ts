import type { OpDef } from './op.js';
import { cumulativeOp } from './support/tensor-scan.js';

export const CumSum: OpDef = cumulativeOp('CumSum', false);
