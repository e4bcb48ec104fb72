import { encodeNumbers } from '../tensor/convert.js';
import { type DataType, dataTypeFromOnnx } from '../tensor/dtype.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { allocElements, tensorOf } from './support/tensor-data.js';

function outputType(attrs: Attributes, inputType: DataType | undefined): DataType | undefined {
  return attrs.has('dtype') ? dataTypeFromOnnx(attrs.int('dtype')) : inputType;
}

/** A 2-D tensor shaped like the input with ones on diagonal `k` (y = x + k) and zeros elsewhere. */
export const EyeLike: OpDef = {
  type: 'EyeLike',
  infer(ctx) {
    const x = ctx.inputs[0];
    check(!x?.dims || x.dims.length === 2, () => `input must be 2-D, has rank ${x?.dims?.length}`);
    return [{ type: outputType(ctx.attrs, x?.type), dims: x?.dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.dims.length === 2, () => `input must be 2-D, has rank ${x.dims.length}`);
    const type = outputType(ctx.attrs, x.type)!;
    check(type !== 'string', 'string output is not supported');
    const [rows, cols] = x.dims;
    const k = ctx.attrs.int('k', 0);
    const out = allocElements(type, rows * cols);
    const one = encodeNumbers(type, [1])[0];
    for (let i = Math.max(0, -k); i < rows && i + k < cols; i++) out[i * cols + i + k] = one;
    return [tensorOf(type, out, x.dims)];
  },
};
