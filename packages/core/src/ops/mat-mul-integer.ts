import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { input, type OpDef } from './op.js';
import { batchedMatMul, type MatMulGeometry, matmulDims, matmulGeometry } from './support/matmul.js';
import { centered, checkInt8Operands } from './support/nn-quant.js';

/**
 * The product of MatMulInteger and QLinearMatMul: (a - a_zero_point, per row or per tensor) times
 * (b - b_zero_point, per column or per tensor), summed exactly in float64.
 */
export function integerMatMul(
  a: Tensor,
  aZero: Tensor | undefined,
  b: Tensor,
  bZero: Tensor | undefined,
): { out: Float64Array; g: MatMulGeometry } {
  checkInt8Operands(a, b);
  const g = matmulGeometry(a.dims, b.dims);
  const out = new Float64Array(shapeSize(g.outDims));
  batchedMatMul(g, centered(a, aZero, a.dims.length - 2), centered(b, bZero, b.dims.length - 1), out);
  return { out, g };
}

export const MatMulInteger: OpDef = {
  type: 'MatMulInteger',
  infer(ctx) {
    const [a, b] = ctx.inputs;
    return [{ type: 'int32', dims: a?.dims && b?.dims ? matmulDims(a.dims, b.dims) : undefined }];
  },
  run(ctx) {
    const { out, g } = integerMatMul(input(ctx, 0), ctx.inputs[2], input(ctx, 1), ctx.inputs[3]);
    return [new Tensor('int32', Int32Array.from(out), g.outDims)];
  },
};
