import { Tensor } from '../tensor/tensor.js';
import { convolve, inferConv } from './conv.js';
import { check, input, type OpDef } from './op.js';
import { centered } from './support/nn-quant.js';

export const ConvInteger: OpDef = {
  type: 'ConvInteger',
  infer: (ctx) => inferConv(ctx.attrs, ctx.inputs[0], ctx.inputs[1], 'int32'),
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    for (const t of [x, w])
      check(t.type === 'uint8' || t.type === 'int8', () => `type ${t.type} is not supported`);
    // The weight zero point may be per output channel (axis 0).
    const { out, dims } = convolve(
      ctx.attrs,
      centered(x, ctx.inputs[2], 1),
      x.dims,
      centered(w, ctx.inputs[3], 0),
      w.dims,
      undefined,
      (n) => new Float64Array(n),
    );
    return [new Tensor('int32', Int32Array.from(out), dims)];
  },
};
