/**
 * Cumulative sum and product along one axis (CumSum, CumProd), with the `exclusive` and `reverse`
 * attributes. int64/uint64 stay exact.
 */
import { asNumbers, encodeNumbers, scalarOf } from '../../tensor/convert.js';
import { isBig } from '../../tensor/dtype.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, input, type OpDef } from '../op.js';
import { axisLayout, forEachLine } from './axis-reduce.js';
import { sameAsInput } from './infer.js';

/**
 * Calls `scan(first, step, n)` for every line along `axis`: element k of the line, in visiting order
 * (backwards when `reverse`), is at first + k * step.
 */
function forEachScan(
  dims: readonly number[],
  axis: number,
  reverse: boolean,
  scan: (first: number, step: number, n: number) => void,
): void {
  const l = axisLayout(dims, axis);
  forEachLine(l, (base, stride) => {
    if (reverse) scan(base + (l.n - 1) * stride, -stride, l.n);
    else scan(base, stride, l.n);
  });
}

export function cumulativeOp(type: string, product: boolean): OpDef {
  return {
    type,
    infer: sameAsInput,
    run(ctx) {
      const x = input(ctx, 0);
      check(x.type !== 'string' && x.type !== 'bool', () => `type ${x.type} is not supported`);
      const axis = normalizeAxis(scalarOf(input(ctx, 1), 'axis'), x.dims.length);
      const exclusive = ctx.attrs.int('exclusive', 0) === 1;
      const reverse = ctx.attrs.int('reverse', 0) === 1;
      if (isBig(x.type)) {
        const v = x.data as BigInt64Array;
        const out = new (v.constructor as BigInt64ArrayConstructor)(v.length);
        forEachScan(x.dims, axis, reverse, (first, step, n) => {
          let acc = product ? 1n : 0n;
          for (let k = 0, i = first; k < n; k++, i += step) {
            if (exclusive) out[i] = acc;
            acc = product ? acc * v[i] : acc + v[i];
            if (!exclusive) out[i] = acc;
          }
        });
        return [new Tensor(x.type, out as never, x.dims)];
      }
      const v = asNumbers(x);
      const out = new Float64Array(v.length);
      forEachScan(x.dims, axis, reverse, (first, step, n) => {
        let acc = product ? 1 : 0;
        for (let k = 0, i = first; k < n; k++, i += step) {
          if (exclusive) out[i] = acc;
          acc = product ? acc * v[i] : acc + v[i];
          if (!exclusive) out[i] = acc;
        }
      });
      return [new Tensor(x.type, encodeNumbers(x.type, out) as never, x.dims)];
    },
  };
}
