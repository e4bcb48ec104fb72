import { asNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import type { OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { blockMoments, channelsInput, normalizeRun, perChannelInputs } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const InstanceNormalization: OpDef = {
  type: 'InstanceNormalization',
  infer: sameAsInput,
  run(ctx) {
    const x = channelsInput(ctx);
    const [n, c] = x.dims;
    const [scale, bias] = perChannelInputs(ctx, [1, 2], c, 'scale and B');
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const size = shapeSize(x.dims.slice(2));
    const v = asNumbers(x);
    const { mean, variance } = blockMoments(v, n * c, size);
    const out = accumulatorFor(x.type, v.length);
    for (let p = 0; p < n * c; p++) {
      const ch = p % c;
      normalizeRun(
        v,
        out,
        p * size,
        (p + 1) * size,
        mean[p],
        scale[ch] / Math.sqrt(variance[p] + eps),
        bias[ch],
      );
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
