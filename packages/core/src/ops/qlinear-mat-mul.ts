import { integerMatMul } from './mat-mul-integer.js';
import { input, type OpDef } from './op.js';
import { matmulDims } from './support/matmul.js';
import { expandParam, quantizedOutput, roundTo } from './support/nn-quant.js';

export const QLinearMatMul: OpDef = {
  type: 'QLinearMatMul',
  infer(ctx) {
    const a = ctx.inputs[0];
    const b = ctx.inputs[3];
    return [
      {
        type: ctx.inputs[7]?.type ?? a?.type,
        dims: a?.dims && b?.dims ? matmulDims(a.dims, b.dims) : undefined,
      },
    ];
  },
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 3);
    const [aScale, bScale, yScale] = [1, 4, 6].map((i) => input(ctx, i));
    const { out: acc, g } = integerMatMul(a, ctx.inputs[2], b, ctx.inputs[5]);
    // Scales: A's per row, B's per column; the multiplier a_scale*b_scale/y_scale is computed in the scale type.
    const rank = g.outDims.length;
    const rowAxis = Math.max(0, a.dims.length > 1 ? rank - (b.dims.length > 1 ? 2 : 1) : 0);
    const st = aScale.type;
    const as = expandParam(aScale, g.outDims, rowAxis);
    const bs = expandParam(bScale, g.outDims, Math.max(0, rank - 1));
    const ys = expandParam(yScale, g.outDims, rowAxis);
    for (let i = 0; i < acc.length; i++) acc[i] *= roundTo(st, roundTo(st, as[i] * bs[i]) / ys[i]);
    return [quantizedOutput(acc, g.outDims, ctx.inputs[7], a.type, rowAxis)];
  },
};
