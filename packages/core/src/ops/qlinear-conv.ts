import { asNumbers } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { convolve, inferConv } from './conv.js';
import { check, input, type OpDef } from './op.js';
import { centered, expandParam, quantizeValues, roundTo } from './support/nn-quant.js';

export const QLinearConv: OpDef = {
  type: 'QLinearConv',
  infer: (ctx) =>
    inferConv(ctx.attrs, ctx.inputs[0], ctx.inputs[3], ctx.inputs[7]?.type ?? ctx.inputs[0]?.type),
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 3);
    for (const t of [x, w])
      check(t.type === 'uint8' || t.type === 'int8', () => `type ${t.type} is not supported`);
    const [xScale, wScale, yScale] = [1, 4, 6].map((i) => input(ctx, i));
    const yZero = ctx.inputs[7];
    const bias = ctx.inputs[8];
    check(!bias || bias.type === 'int32', () => `bias must be int32, got ${bias?.type}`);
    const { out, dims } = convolve(
      ctx.attrs,
      centered(x, ctx.inputs[2], 1),
      x.dims,
      centered(w, ctx.inputs[5], 0),
      w.dims,
      bias && asNumbers(bias),
      (n) => new Float64Array(n),
    );
    // Real output = acc * x_scale * w_scale (w_scale per output channel), requantised by y_scale.
    const st = xScale.type;
    const xs = asNumbers(xScale)[0];
    const ys = asNumbers(yScale)[0];
    const ws = expandParam(wScale, dims, 1);
    for (let i = 0; i < out.length; i++) out[i] *= roundTo(st, roundTo(st, xs * ws[i]) / ys);
    const type = yZero?.type ?? x.type;
    const zp = yZero && expandParam(yZero, dims, 1);
    return [new Tensor(type, quantizeValues(type, out, zp, true) as never, dims)];
  },
};
