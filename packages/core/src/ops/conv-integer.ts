import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { convolve, inferConv } from './conv.js';
import { input, type OpDef } from './op.js';
import { centered, checkInt8Operands } from './support/nn-quant.js';

/**
 * The convolution of ConvInteger and QLinearConv: (x - x_zero_point) by (w - w_zero_point, per
 * output channel or per tensor) plus an optional bias, summed exactly in float64.
 */
export function integerConvolution(
  attrs: Attributes,
  x: Tensor,
  xZero: Tensor | undefined,
  w: Tensor,
  wZero: Tensor | undefined,
  bias?: ArrayLike<number>,
) {
  checkInt8Operands(x, w);
  return convolve(
    attrs,
    centered(x, xZero, 1),
    x.dims,
    centered(w, wZero, 0),
    w.dims,
    bias,
    (n) => new Float64Array(n),
  );
}

export const ConvInteger: OpDef = {
  type: 'ConvInteger',
  infer: (ctx) => inferConv(ctx.attrs, ctx.inputs[0], ctx.inputs[1], 'int32'),
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const { out, dims } = integerConvolution(ctx.attrs, x, ctx.inputs[2], w, ctx.inputs[3]);
    return [new Tensor('int32', Int32Array.from(out), dims)];
  },
};
