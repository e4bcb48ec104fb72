import { asNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OpDef, ValueMeta } from './op.js';
import { axesMoments, channelsInput, normalizeRun, perChannelInputs } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

/** Training mode: statistics come from the batch (opset >= 14 training_mode; opset <= 6 without is_test). */
function training(
  opset: number,
  attrs: { int(name: string, fallback?: number): number },
  outputCount: number,
): boolean {
  if (opset >= 14) return attrs.int('training_mode', 0) !== 0;
  if (opset < 7) return attrs.int('is_test', 0) === 0 && outputCount > 1;
  return false;
}

export const BatchNormalization: OpDef = {
  type: 'BatchNormalization',
  infer(ctx) {
    const x = ctx.inputs[0];
    const c = x?.dims?.[1];
    const stat: ValueMeta = { type: x?.type, dims: c === undefined ? undefined : [c] };
    return [{ type: x?.type, dims: x?.dims }, stat, stat, stat, stat];
  },
  run(ctx) {
    const x = channelsInput(ctx);
    const [n, c] = x.dims;
    const [scale, bias, runMean, runVar] = perChannelInputs(ctx, [1, 2, 3, 4], c, 'scale, B, mean and var');
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const spatial = shapeSize(x.dims.slice(2));
    const v = asNumbers(x);
    const train = training(ctx.opset, ctx.attrs, ctx.outputCount);
    const stats = train ? axesMoments(v, x.dims, [0, ...x.dims.slice(2).map((_, i) => i + 2)]) : undefined;
    const mean = stats ? stats.mean : runMean;
    const variance = stats ? stats.variance : runVar;
    const out = accumulatorFor(x.type, v.length);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const o = (b * c + ch) * spatial;
        normalizeRun(v, out, o, o + spatial, mean[ch], scale[ch] / Math.sqrt(variance[ch] + eps), bias[ch]);
      }
    }
    const y = tensorFromValues(x.type, out, x.dims);
    if (!stats) return [y];
    const momentum = ctx.attrs.float('momentum', 0.9);
    const running = (prev: ArrayLike<number>, cur: Float64Array): Tensor =>
      tensorFromValues(
        x.type,
        Float64Array.from(cur, (s, i) => prev[i] * momentum + s * (1 - momentum)),
        [c],
      );
    const outs = [y, running(runMean, stats.mean), running(runVar, stats.variance)];
    // Opsets before 14 also output the batch statistics themselves.
    if (ctx.opset < 14)
      outs.push(tensorFromValues(x.type, stats.mean, [c]), tensorFromValues(x.type, stats.variance, [c]));
    return outs;
  },
};
