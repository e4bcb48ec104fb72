import { asNumbers } from '../tensor/convert.js';
import { isBig } from '../tensor/dtype.js';
import { stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** NonZero: the coordinates of the non-zero elements, one column each, in row-major order (a scalar counts as 1-D). */
export const NonZero: OpDef = {
  type: 'NonZero',
  infer: (ctx) => [
    { type: 'int64', dims: [ctx.inputs[0]?.dims ? Math.max(ctx.inputs[0].dims.length, 1) : null, null] },
  ],
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type !== 'string', 'string tensors are not supported');
    const dims = x.dims.length === 0 ? [1] : x.dims;
    const v = isBig(x.type) ? (x.data as BigInt64Array) : asNumbers(x);
    const hits: number[] = [];
    for (let i = 0; i < v.length; i++) if (v[i]) hits.push(i);
    const rank = dims.length;
    const strides = stridesOf(dims);
    const out = new BigInt64Array(rank * hits.length);
    hits.forEach((flat, j) => {
      for (let d = 0; d < rank; d++)
        out[d * hits.length + j] = BigInt(Math.floor(flat / strides[d]) % dims[d]);
    });
    return [new Tensor('int64', out, [rank, hits.length])];
  },
};
