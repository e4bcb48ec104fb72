import { allocData } from '../tensor/dtype.js';
import { broadcastShapes, sameShape, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { broadcastN, type Indexed, inferBroadcast, type Writable } from './support/elementwise.js';
import { type Scalar, scalarsOf } from './support/tensor-data.js';

/**
 * condition ? x : y with numpy broadcasting of all three. x and y share a type (any, strings
 * included); the condition is bool, or any numeric type read as non-zero = true.
 */
export const Where: OpDef = {
  type: 'Where',
  infer: (ctx) => inferBroadcast(ctx, ctx.inputs[1]?.type ?? ctx.inputs[2]?.type),
  run(ctx) {
    const c = input(ctx, 0);
    const x = input(ctx, 1);
    const y = input(ctx, 2);
    check(x.type === y.type, () => `x and y types differ: ${x.type} and ${y.type}`);
    check(c.type !== 'string', 'condition must be bool, not string');
    const dims = broadcastShapes(c.dims, x.dims, y.dims);
    const out = allocData(x.type, shapeSize(dims)) as Writable<Scalar>;
    const cond = scalarsOf(c);
    // Raw elements (float16 bits, float8 codes) are copied as they are.
    const xs = x.data as Indexed<Scalar>;
    const ys = y.data as Indexed<Scalar>;
    if (sameShape(c.dims, x.dims) && sameShape(c.dims, y.dims)) {
      for (let i = 0; i < c.size; i++) out[i] = cond[i] ? xs[i] : ys[i];
    } else {
      const inputs = [
        { data: cond, dims: c.dims },
        { data: xs, dims: x.dims },
        { data: ys, dims: y.dims },
      ];
      broadcastN(inputs, out, dims, (v) => (v[0] ? v[1] : v[2]));
    }
    return [new Tensor(x.type, out as never, dims)];
  },
};
