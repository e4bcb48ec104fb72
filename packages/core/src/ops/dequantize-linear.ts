import { asNumbers } from '../tensor/convert.js';
import { type DataType, dataTypeFromOnnx } from '../tensor/dtype.js';
import { isMinifloat } from '../tensor/minifloat.js';
import { normalizeAxis } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { tensorFromValues } from './support/nn-numeric.js';
import { expandParam } from './support/nn-quant.js';

function outputType(attr: number, scale: DataType | undefined): DataType | undefined {
  return attr ? dataTypeFromOnnx(attr) : scale;
}

export const DequantizeLinear: OpDef = {
  type: 'DequantizeLinear',
  infer: (ctx) => [
    { type: outputType(ctx.attrs.int('output_dtype', 0), ctx.inputs[1]?.type), dims: ctx.inputs[0]?.dims },
  ],
  run(ctx) {
    const x = input(ctx, 0);
    const scale = input(ctx, 1);
    const zp = ctx.inputs[2];
    check(x.type !== 'string' && x.type !== 'bool', () => `type ${x.type} is not supported`);
    const type = outputType(ctx.attrs.int('output_dtype', 0), scale.type)!;
    const blockSize = ctx.attrs.int('block_size', 0);
    const axis = scale.size > 1 ? normalizeAxis(ctx.attrs.int('axis', 1), x.dims.length) : 0;
    const s = expandParam(scale, x.dims, axis, blockSize);
    // Float8/float4 inputs have no effective zero point (it must be 0); integer ones must match x's type.
    const useZero = zp && !isMinifloat(x.type);
    check(
      !useZero || zp.type === x.type,
      () => `zero point type ${zp?.type} differs from input type ${x.type}`,
    );
    const z = useZero ? expandParam(zp, x.dims, axis, blockSize) : undefined;
    const v = asNumbers(x);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = (v[i] - (z ? z[i] : 0)) * s[i];
    return [tensorFromValues(type, out, x.dims)];
  },
};
