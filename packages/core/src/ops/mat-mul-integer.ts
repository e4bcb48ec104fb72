import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { batchedMatMul, matmulDims, matmulGeometry } from './support/matmul.js';
import { centered } from './support/nn-quant.js';

export const MatMulInteger: OpDef = {
  type: 'MatMulInteger',
  infer(ctx) {
    const [a, b] = ctx.inputs;
    return [{ type: 'int32', dims: a?.dims && b?.dims ? matmulDims(a.dims, b.dims) : undefined }];
  },
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    for (const t of [a, b])
      check(t.type === 'uint8' || t.type === 'int8', () => `type ${t.type} is not supported`);
    const g = matmulGeometry(a.dims, b.dims);
    const out = new Float64Array(shapeSize(g.outDims));
    batchedMatMul(
      g,
      centered(a, ctx.inputs[2], a.dims.length - 2),
      centered(b, ctx.inputs[3], b.dims.length - 1),
      out,
    );
    return [new Tensor('int32', Int32Array.from(out), g.outDims)];
  },
};
