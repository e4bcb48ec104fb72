import { asNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import type { OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { channelsInput } from './support/nn-norm.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const LRN: OpDef = {
  type: 'LRN',
  infer: sameAsInput,
  run(ctx) {
    const x = channelsInput(ctx);
    const size = ctx.attrs.int('size');
    const alpha = ctx.attrs.float('alpha', 1e-4);
    const beta = ctx.attrs.float('beta', 0.75);
    const bias = ctx.attrs.float('bias', 1);
    const [n, c] = x.dims;
    const spatial = shapeSize(x.dims.slice(2));
    // Channels [ch - floor((size-1)/2), ch + ceil((size-1)/2)] contribute to channel ch.
    const before = Math.floor((size - 1) / 2);
    const after = Math.ceil((size - 1) / 2);
    const v = asNumbers(x);
    const out = accumulatorFor(x.type, v.length);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const lo = Math.max(0, ch - before);
        const hi = Math.min(c - 1, ch + after);
        const o = (b * c + ch) * spatial;
        for (let i = 0; i < spatial; i++) {
          let sq = 0;
          for (let k = lo; k <= hi; k++) {
            const e = v[(b * c + k) * spatial + i];
            sq += e * e;
          }
          out[o + i] = v[o + i] / (bias + (alpha / size) * sq) ** beta;
        }
      }
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
