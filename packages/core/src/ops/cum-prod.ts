import type { OpDef } from './op.js';
import { cumulativeOp } from './support/tensor-scan.js';

export const CumProd: OpDef = cumulativeOp('CumProd', true);
