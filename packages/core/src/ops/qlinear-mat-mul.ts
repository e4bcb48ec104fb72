import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { batchedMatMul, matmulDims, matmulGeometry } from './support/matmul.js';
import { centered, expandParam, quantizeValues, roundTo } from './support/nn-quant.js';

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
    for (const t of [a, b])
      check(t.type === 'uint8' || t.type === 'int8', () => `type ${t.type} is not supported`);
    const [aScale, bScale, yScale] = [1, 4, 6].map((i) => input(ctx, i));
    const yZero = ctx.inputs[7];
    const g = matmulGeometry(a.dims, b.dims);
    const acc = new Float64Array(shapeSize(g.outDims));
    batchedMatMul(
      g,
      centered(a, ctx.inputs[2], a.dims.length - 2),
      centered(b, ctx.inputs[5], b.dims.length - 1),
      acc,
    );
    // Scales: A's per row, B's per column; the multiplier a_scale*b_scale/y_scale is computed in the scale type.
    const rank = g.outDims.length;
    const rowAxis = Math.max(0, a.dims.length > 1 ? rank - (b.dims.length > 1 ? 2 : 1) : 0);
    const st = aScale.type;
    const as = expandParam(aScale, g.outDims, rowAxis);
    const bs = expandParam(bScale, g.outDims, Math.max(0, rank - 1));
    const ys = expandParam(yScale, g.outDims, rowAxis);
    for (let i = 0; i < acc.length; i++) acc[i] *= roundTo(st, roundTo(st, as[i] * bs[i]) / ys[i]);
    const type = yZero?.type ?? a.type;
    const zp = yZero && expandParam(yZero, g.outDims, rowAxis);
    return [new Tensor(type, quantizeValues(type, acc, zp, true) as never, g.outDims)];
  },
};
