import { asNumbers } from '../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../tensor/dtype.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, type InferContext, input, type OpDef } from './op.js';
import { expandParam, quantizeValues, roundTo } from './support/nn-quant.js';

/** The zero point's type, else output_dtype (opset >= 21), else uint8. */
function outputType(ctx: Pick<InferContext, 'attrs'>, zeroPoint: DataType | undefined): DataType {
  const attr = ctx.attrs.int('output_dtype', 0);
  const fromAttr = attr ? dataTypeFromOnnx(attr) : undefined;
  check(
    !zeroPoint || !fromAttr || zeroPoint === fromAttr,
    () => `output_dtype ${fromAttr} differs from the zero point type ${zeroPoint}`,
  );
  return zeroPoint ?? fromAttr ?? 'uint8';
}

export const QuantizeLinear: OpDef = {
  type: 'QuantizeLinear',
  infer(ctx) {
    const x = ctx.inputs[0];
    return [{ type: outputType(ctx, ctx.inputs[2]?.type), dims: x?.dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const scale = input(ctx, 1);
    const zp = ctx.inputs[2];
    check(isFloat(x.type) || x.type === 'int32', () => `type ${x.type} is not supported`);
    const type = outputType(ctx, zp?.type);
    const blockSize = ctx.attrs.int('block_size', 0);
    const axis = scale.size > 1 ? normalizeAxis(ctx.attrs.int('axis', 1), x.dims.length) : 0;
    const s = expandParam(scale, x.dims, axis, blockSize);
    const z = zp && expandParam(zp, x.dims, axis, blockSize);
    // x / scale is one operation in the input precision (or the `precision` attribute's type).
    const precision = ctx.attrs.int('precision', 0);
    const computeType = precision ? dataTypeFromOnnx(precision) : x.type === scale.type ? x.type : 'float32';
    const v = asNumbers(x);
    const q = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) q[i] = roundTo(computeType, v[i] / s[i]);
    const saturate = ctx.attrs.int('saturate', 1) !== 0;
    return [new Tensor(type, quantizeValues(type, q, z, saturate) as never, x.dims)];
  },
};
