import { allocData, DTYPES, dataTypeFromOnnx, type NumericTypedArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/**
 * Reinterprets the bits of each element as the type `to` of the same bit width (opset 26).
 * 4- and 2-bit types are kept one code per byte, so their codes are re-read (sign-extended for int4/int2).
 */
export const BitCast: OpDef = {
  type: 'BitCast',
  infer: (ctx) => [{ type: dataTypeFromOnnx(ctx.attrs.int('to')), dims: ctx.inputs[0]?.dims }],
  run(ctx) {
    const x = input(ctx, 0);
    const to = dataTypeFromOnnx(ctx.attrs.int('to'));
    check(x.type !== 'string' && to !== 'string', 'BitCast does not apply to strings');
    const bits = DTYPES[x.type].bits;
    check(
      bits === DTYPES[to].bits,
      () => `cannot bit-cast ${x.type} (${bits} bits) to ${to} (${DTYPES[to].bits} bits)`,
    );
    if (bits < 8) {
      const src = x.data as Int8Array;
      const out = allocData(to, x.size) as Int8Array;
      const mask = (1 << bits) - 1;
      const half = DTYPES[to].kind === 'int' ? 1 << (bits - 1) : 0;
      for (let i = 0; i < src.length; i++) out[i] = ((src[i] & mask) ^ half) - half;
      return [new Tensor(to, out as never, x.dims)];
    }
    const src = x.data as NumericTypedArray | BigInt64Array;
    const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength).slice();
    const ctor = DTYPES[to].array as Uint8ArrayConstructor;
    return [new Tensor(to, new ctor(bytes.buffer, 0, x.size) as never, x.dims)];
  },
};
