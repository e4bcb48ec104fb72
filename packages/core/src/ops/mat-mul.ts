import { asNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { batchedMatMul, matmulDims, matmulGeometry } from './support/matmul.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const MatMul: OpDef = {
  type: 'MatMul',
  infer(ctx) {
    const [a, b] = ctx.inputs;
    return [{ type: a?.type, dims: a?.dims && b?.dims ? matmulDims(a.dims, b.dims) : undefined }];
  },
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    check(a.type === b.type, () => `input types differ: ${a.type} and ${b.type}`);
    check(a.type !== 'string' && a.type !== 'bool', () => `type ${a.type} is not supported`);
    const g = matmulGeometry(a.dims, b.dims);
    const out = accumulatorFor(a.type, shapeSize(g.outDims));
    batchedMatMul(g, asNumbers(a), asNumbers(b), out);
    return [tensorFromValues(a.type, out, g.outDims)];
  },
};
