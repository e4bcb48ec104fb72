import { normalizeAxis, sameShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { indexValues } from './support/tensor-data.js';
import {
  elementTargets,
  type ScatterReduction,
  scatter,
  scatterReduction,
} from './support/tensor-scatter.js';

/** ScatterElements (and the deprecated Scatter, which has no reduction): the inverse of GatherElements. */
export function scatterElementsOp(type: string, reduces: boolean): OpDef {
  return {
    type,
    infer: sameAsInput,
    run(ctx) {
      const data = input(ctx, 0);
      const indices = input(ctx, 1);
      const updates = input(ctx, 2);
      check(
        sameShape(updates.dims, indices.dims),
        () => `updates shape [${updates.dims}] differs from indices shape [${indices.dims}]`,
      );
      const axis = normalizeAxis(ctx.attrs.int('axis', 0), data.dims.length);
      const targets = elementTargets(data.dims, indices.dims, indexValues(indices), axis);
      const reduction: ScatterReduction = reduces ? scatterReduction(ctx.attrs) : 'none';
      return [scatter(data, updates, targets, reduction)];
    },
  };
}

export const ScatterElements: OpDef = scatterElementsOp('ScatterElements', true);
