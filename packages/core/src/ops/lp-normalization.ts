import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const LpNormalization: OpDef = {
  type: 'LpNormalization',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const p = ctx.attrs.int('p', 2);
    check(p === 1 || p === 2, () => `p must be 1 or 2, got ${p}`);
    const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.dims.length);
    const outer = shapeSize(x.dims.slice(0, axis));
    const n = x.dims[axis];
    const inner = shapeSize(x.dims.slice(axis + 1));
    const v = asNumbers(x);
    const out = accumulatorFor(x.type, v.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let s = 0;
        for (let j = 0; j < n; j++) {
          const e = v[base + j * inner];
          s += p === 1 ? Math.abs(e) : e * e;
        }
        // A zero vector stays zero (the reference divides only where the norm is non-zero).
        const inv = s === 0 ? 0 : 1 / (p === 1 ? s : Math.sqrt(s));
        for (let j = 0; j < n; j++) out[base + j * inner] = v[base + j * inner] * inv;
      }
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
