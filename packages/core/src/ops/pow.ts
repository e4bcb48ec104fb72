import { asNumbers } from '../tensor/convert.js';
import { allocData, isBig } from '../tensor/dtype.js';
import { broadcastShapes, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { OpDef } from './op.js';
import {
  binaryInputs,
  broadcastBinary,
  checkType,
  finishNumbers,
  inferBinary,
  numberOutput,
  numeric,
} from './support/elementwise.js';

/** base^e in 64-bit wrapping arithmetic, by squaring (a plain ** could build huge bigints). */
function powInt64(base: bigint, e: bigint): bigint {
  if (e < 0n) return base === 1n ? 1n : base === -1n ? (e & 1n ? -1n : 1n) : 0n;
  let r = 1n;
  let b = base;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = BigInt.asIntN(64, r * b);
    b = BigInt.asIntN(64, b * b);
  }
  return r;
}

/** x^y with numpy broadcasting; the exponent may have another numeric type, the result has x's. */
export const Pow: OpDef = {
  type: 'Pow',
  infer: (ctx) => inferBinary(ctx),
  run(ctx) {
    const [x, y] = binaryInputs(ctx);
    checkType(x.type, numeric);
    checkType(y.type, numeric);
    const dims = broadcastShapes(x.dims, y.dims);
    if (isBig(x.type) && isBig(y.type)) {
      const out = allocData(x.type, shapeSize(dims)) as BigInt64Array;
      broadcastBinary(x.data as BigInt64Array, x.dims, y.data as BigInt64Array, y.dims, out, dims, powInt64);
      return [new Tensor(x.type, out as never, dims)];
    }
    const out = numberOutput(x.type, shapeSize(dims));
    broadcastBinary(asNumbers(x), x.dims, asNumbers(y), y.dims, out, dims, Math.pow);
    return [finishNumbers(x.type, out, dims)];
  },
};
