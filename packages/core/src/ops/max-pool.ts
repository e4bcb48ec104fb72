import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { shapeSize, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { forEachWindow, inferPool, poolGeometry } from './support/pool.js';

export const MaxPool: OpDef = {
  type: 'MaxPool',
  infer: (ctx) => inferPool(ctx, ctx.outputCount),
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type !== 'string' && x.type !== 'bool', () => `type ${x.type} is not supported`);
    const g = poolGeometry(ctx.attrs, x.dims);
    const outDims = [x.dims[0], x.dims[1], ...g.out];
    const v = asNumbers(x);
    const size = shapeSize(outDims);
    const out = new Float64Array(size);
    const wantIndices = ctx.outputCount > 1;
    const indices = wantIndices ? new BigInt64Array(size) : undefined;
    const columnMajor = ctx.attrs.int('storage_order', 0) === 1;
    const sp = x.dims.slice(2);
    const plane = shapeSize(sp);
    const rowStrides = stridesOf(sp);
    forEachWindow(x.dims, g, (o, base, taps) => {
      let best = Number.NEGATIVE_INFINITY;
      let arg = -1;
      for (const t of taps) {
        const val = v[base + t];
        if (val > best || arg < 0) {
          best = val;
          arg = t;
        }
      }
      out[o] = best;
      if (indices) {
        let flat = arg;
        if (columnMajor) {
          // storage_order 1: index the element as if the spatial axes were column-major.
          flat = 0;
          let mul = 1;
          for (let d = 0; d < sp.length; d++) {
            flat += (Math.floor(arg / rowStrides[d]) % sp[d]) * mul;
            mul *= sp[d];
          }
        }
        indices[o] = BigInt(Math.floor(base / plane) * plane + flat);
      }
    });
    const y = new Tensor(x.type, encodeNumbers(x.type, out) as never, outDims, x.quant);
    return indices ? [y, new Tensor('int64', indices, outDims)] : [y];
  },
};
