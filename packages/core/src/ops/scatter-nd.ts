import { formatShape, sameShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { scatter, scatterReduction, sliceTargets } from './support/tensor-scatter.js';

/** ScatterND: updates[i, ...] replaces (or combines into) the data slice that indices[i] selects. */
export const ScatterND: OpDef = {
  type: 'ScatterND',
  infer: sameAsInput,
  run(ctx) {
    const data = input(ctx, 0);
    const indices = input(ctx, 1);
    const updates = input(ctx, 2);
    const { starts, sliceSize, k } = sliceTargets(data.dims, indices);
    const want = [...indices.dims.slice(0, -1), ...data.dims.slice(k)];
    check(
      sameShape(updates.dims, want),
      () => `updates shape ${formatShape(updates.dims)} must be ${formatShape(want)}`,
    );
    const targets = new Int32Array(starts.length * sliceSize);
    for (let t = 0; t < starts.length; t++) {
      for (let j = 0; j < sliceSize; j++) targets[t * sliceSize + j] = starts[t] + j;
    }
    return [scatter(data, updates, targets, scatterReduction(ctx.attrs))];
  },
};
