import { asNumbers } from '../tensor/convert.js';
import { inferConv } from './conv.js';
import { integerConvolution } from './conv-integer.js';
import { check, input, type OpDef } from './op.js';
import { expandParam, quantizedOutput, roundTo } from './support/nn-quant.js';

export const QLinearConv: OpDef = {
  type: 'QLinearConv',
  infer: (ctx) =>
    inferConv(ctx.attrs, ctx.inputs[0], ctx.inputs[3], ctx.inputs[7]?.type ?? ctx.inputs[0]?.type),
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 3);
    const [xScale, wScale, yScale] = [1, 4, 6].map((i) => input(ctx, i));
    const bias = ctx.inputs[8];
    check(!bias || bias.type === 'int32', () => `bias must be int32, got ${bias?.type}`);
    const { out, dims } = integerConvolution(
      ctx.attrs,
      x,
      ctx.inputs[2],
      w,
      ctx.inputs[5],
      bias && asNumbers(bias),
    );
    // Real output = acc * x_scale * w_scale (w_scale per output channel), requantised by y_scale.
    const st = xScale.type;
    const xs = asNumbers(xScale)[0];
    const ys = asNumbers(yScale)[0];
    const ws = expandParam(wScale, dims, 1);
    for (let i = 0; i < out.length; i++) out[i] *= roundTo(st, roundTo(st, xs * ws[i]) / ys);
    return [quantizedOutput(out, dims, ctx.inputs[7], x.type, 1)];
  },
};
