import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { normalizeAxis, stridesOf } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { axesMoments } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const MeanVarianceNormalization: OpDef = {
  type: 'MeanVarianceNormalization',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const rank = x.dims.length;
    const axes = [...new Set(ctx.attrs.ints('axes', [0, 2, 3]).map((a) => normalizeAxis(a, rank)))];
    const v = asNumbers(x);
    const { mean, variance } = axesMoments(v, x.dims, axes);
    // Statistic index of each element: its position over the kept axes.
    const keptDims = x.dims.filter((_, i) => !axes.includes(i));
    const keptStrides = stridesOf(keptDims);
    const strideOf = new Array<number>(rank).fill(0);
    for (let i = 0, k = 0; i < rank; i++) if (!axes.includes(i)) strideOf[i] = keptStrides[k++];
    const out = accumulatorFor(x.type, v.length);
    const counter = new Array<number>(rank).fill(0);
    let stat = 0;
    for (let i = 0; i < v.length; i++) {
      // The spec's function body adds epsilon 1e-9 to the standard deviation.
      out[i] = (v[i] - mean[stat]) / (Math.sqrt(variance[stat]) + 1e-9);
      for (let d = rank - 1; d >= 0; d--) {
        counter[d]++;
        stat += strideOf[d];
        if (counter[d] < x.dims[d]) break;
        stat -= strideOf[d] * x.dims[d];
        counter[d] = 0;
      }
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
