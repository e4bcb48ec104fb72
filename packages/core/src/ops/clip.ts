import { scalarOf } from '../tensor/convert.js';
import { isBig } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { checkType, numeric, runUnary } from './support/elementwise.js';
import { sameAsInput } from './support/infer.js';

/** A bound input: absent when omitted; a one-element tensor of x's type otherwise. */
function bound(t: Tensor | undefined, x: Tensor, name: string): Tensor | undefined {
  if (!t) return undefined;
  check(t.type === x.type, () => `${name} has type ${t.type}, input has ${x.type}`);
  check(t.size === 1, () => `${name} must be a scalar, has shape [${t.dims.join(',')}]`);
  return t;
}

/**
 * min(max(x, min), max): bounds are attributes before opset 11, optional inputs after (integer
 * types from opset 12). When min > max every element becomes max, as the spec says.
 */
export const Clip: OpDef = {
  type: 'Clip',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    checkType(x.type, numeric);
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    let loBig: bigint | undefined;
    let hiBig: bigint | undefined;
    if (ctx.opset < 11) {
      lo = ctx.attrs.float('min', lo);
      hi = ctx.attrs.float('max', hi);
    } else {
      const min = bound(ctx.inputs[1], x, 'min');
      const max = bound(ctx.inputs[2], x, 'max');
      if (min) lo = scalarOf(min, 'min');
      if (max) hi = scalarOf(max, 'max');
      // int64 bounds stay exact.
      if (min && isBig(x.type)) loBig = (min.data as BigInt64Array)[0];
      if (max && isBig(x.type)) hiBig = (max.data as BigInt64Array)[0];
    }
    return [
      runUnary(
        {
          type: 'Clip',
          number: (v) => Math.min(Math.max(v, lo), hi),
          bigint: (v) => {
            const r = loBig !== undefined && v < loBig ? loBig : v;
            return hiBig !== undefined && r > hiBig ? hiBig : r;
          },
        },
        x,
      ),
    ];
  },
};
