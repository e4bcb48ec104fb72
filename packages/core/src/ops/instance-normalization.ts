import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { blockMoments } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const InstanceNormalization: OpDef = {
  type: 'InstanceNormalization',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    check(
      isFloat(x.type) && x.dims.length >= 2,
      () => `expected a float tensor of rank >= 2, got ${x.type} ${formatShape(x.dims)}`,
    );
    const [n, c] = x.dims;
    const scale = asNumbers(input(ctx, 1));
    const bias = asNumbers(input(ctx, 2));
    check(
      scale.length === c && bias.length === c,
      () => `scale and B must have ${c} values (one per channel)`,
    );
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const size = shapeSize(x.dims.slice(2));
    const v = asNumbers(x);
    const { mean, variance } = blockMoments(v, n * c, size);
    const out = accumulatorFor(x.type, v.length);
    for (let p = 0; p < n * c; p++) {
      const ch = p % c;
      const k = scale[ch] / Math.sqrt(variance[p] + eps);
      const m = mean[p];
      const b = bias[ch];
      for (let i = p * size; i < (p + 1) * size; i++) out[i] = (v[i] - m) * k + b;
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
