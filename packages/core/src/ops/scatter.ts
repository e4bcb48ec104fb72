import type { OpDef } from './op.js';
import { scatterElementsOp } from './scatter-elements.js';

/** Scatter (opset 9-10): ScatterElements without reduction. */
export const Scatter: OpDef = scatterElementsOp('Scatter', false);
