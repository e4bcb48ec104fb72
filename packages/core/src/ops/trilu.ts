import { scalarOf } from '../tensor/convert.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { allocElements, elementsOf, tensorOf } from './support/tensor-data.js';

/**
 * Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes, zeroes the
 * rest.
 */
export const Trilu: OpDef = {
  type: 'Trilu',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    const rank = x.dims.length;
    check(rank >= 2, () => `input must have rank 2 or more, has ${rank}`);
    const k = ctx.inputs[1] ? scalarOf(ctx.inputs[1], 'k') : 0;
    const upper = ctx.attrs.int('upper', 1) === 1;
    const [rows, cols] = x.dims.slice(-2);
    const src = elementsOf(x);
    const out = allocElements(x.type, x.size);
    for (let base = 0; base < x.size; base += rows * cols) {
      for (let i = 0; i < rows; i++) {
        // Columns kept in row i: [i + k, cols) when upper, [0, i + k] when lower.
        const from = upper ? Math.max(0, i + k) : 0;
        const to = upper ? cols : Math.min(cols, i + k + 1);
        for (let j = from; j < to; j++) out[base + i * cols + j] = src[base + i * cols + j];
      }
    }
    return [tensorOf(x.type, out, x.dims)];
  },
};
