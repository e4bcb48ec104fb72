import { shapeSize, stridesOf } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { copyElements, elementsOf, indexValues, tensorOf } from './support/tensor-data.js';

/** ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along the time axis. */
export const ReverseSequence: OpDef = {
  type: 'ReverseSequence',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    const lens = indexValues(input(ctx, 1), 'sequence_lens');
    check(x.dims.length >= 2, () => `input must have rank 2 or more, has ${x.dims.length}`);
    const batchAxis = ctx.attrs.int('batch_axis', 1);
    const timeAxis = ctx.attrs.int('time_axis', 0);
    check(
      (batchAxis === 0 && timeAxis === 1) || (batchAxis === 1 && timeAxis === 0),
      () => `batch_axis ${batchAxis} and time_axis ${timeAxis} must be 0 and 1 in some order`,
    );
    const batch = x.dims[batchAxis];
    const steps = x.dims[timeAxis];
    check(lens.length === batch, () => `sequence_lens has ${lens.length} values for batch ${batch}`);
    const strides = stridesOf(x.dims);
    const inner = shapeSize(x.dims.slice(2));
    const src = elementsOf(x);
    const out = copyElements(x);
    for (let b = 0; b < batch; b++) {
      const len = lens[b];
      check(len >= 1 && len <= steps, () => `sequence_lens[${b}] = ${len} is out of range [1, ${steps}]`);
      for (let t = 0; t < len; t++) {
        const to = b * strides[batchAxis] + t * strides[timeAxis];
        const from = b * strides[batchAxis] + (len - 1 - t) * strides[timeAxis];
        for (let i = 0; i < inner; i++) out[to + i] = src[from + i];
      }
    }
    return [tensorOf(x.type, out, x.dims, x.quant)];
  },
};
