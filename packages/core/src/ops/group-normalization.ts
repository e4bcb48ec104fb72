import { asNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { blockMoments, channelsInput, normalizeRun } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const GroupNormalization: OpDef = {
  type: 'GroupNormalization',
  infer: sameAsInput,
  run(ctx) {
    const x = channelsInput(ctx);
    const [n, c] = x.dims;
    const groups = ctx.attrs.int('num_groups');
    check(groups > 0 && c % groups === 0, () => `${c} channels are not divisible into ${groups} groups`);
    const scale = asNumbers(input(ctx, 1));
    const bias = asNumbers(input(ctx, 2));
    // Opset 21 takes one scale/bias per channel; opset 18 took one per group.
    const perGroup = scale.length === groups && groups !== c;
    check(
      scale.length === (perGroup ? groups : c) && bias.length === scale.length,
      () => `scale and bias must have ${c} values (one per channel)`,
    );
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const spatial = shapeSize(x.dims.slice(2));
    const cg = c / groups;
    const v = asNumbers(x);
    const { mean, variance } = blockMoments(v, n * groups, cg * spatial);
    const out = accumulatorFor(x.type, v.length);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const g = Math.floor(ch / cg);
        const stat = b * groups + g;
        const p = perGroup ? g : ch;
        const o = (b * c + ch) * spatial;
        normalizeRun(v, out, o, o + spatial, mean[stat], scale[p] / Math.sqrt(variance[stat] + eps), bias[p]);
      }
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
