import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { dataTypeFromOnnx, isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { randomFor } from './support/random.js';

/**
 * Multinomial: sample_size class indices per batch row, drawn from the softmax of the row's
 * unnormalised log-probabilities [batch, classes]. Output [batch, sample_size] of `dtype` (int32).
 */
export const Multinomial: OpDef = {
  type: 'Multinomial',
  nondeterministic: true,
  infer(ctx) {
    const type = dataTypeFromOnnx(ctx.attrs.int('dtype', 6));
    return [{ type, dims: [ctx.inputs[0]?.dims?.[0] ?? null, ctx.attrs.int('sample_size', 1)] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    check(x.dims.length === 2, () => `input must be [batch, classes], got ${formatShape(x.dims)}`);
    const outType = dataTypeFromOnnx(ctx.attrs.int('dtype', 6));
    check(outType === 'int32' || outType === 'int64', () => `dtype ${outType} must be int32 or int64`);
    const samples = ctx.attrs.int('sample_size', 1);
    const [batch, classes] = x.dims;
    const v = asNumbers(x);
    const rng = randomFor(ctx);
    const cumulative = new Float64Array(classes);
    const out = new Float64Array(batch * samples);
    for (let b = 0; b < batch; b++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < classes; k++) max = Math.max(max, v[b * classes + k]);
      let total = 0;
      for (let k = 0; k < classes; k++) {
        total += Math.exp(v[b * classes + k] - max);
        cumulative[k] = total;
      }
      for (let s = 0; s < samples; s++) {
        const u = rng.uniform() * total;
        let k = 0;
        while (k < classes - 1 && cumulative[k] <= u) k++;
        out[b * samples + s] = k;
      }
    }
    return [new Tensor(outType, encodeNumbers(outType, out) as never, [batch, samples])];
  },
};
