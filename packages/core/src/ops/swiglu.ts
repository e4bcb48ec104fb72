import { isFloat } from '../tensor/dtype.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { runBinary } from './support/elementwise.js';
import { sameAsInput } from './support/infer.js';

export const SwiGLU: OpDef = {
  type: 'SwiGLU',
  infer: sameAsInput,
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    // No broadcasting: the gate and the value have the same shape.
    check(
      sameShape(a.dims, b.dims),
      () => `A ${formatShape(a.dims)} and B ${formatShape(b.dims)} must have the same shape`,
    );
    const alpha = ctx.attrs.float('alpha', 1);
    return [
      runBinary(
        { type: 'SwiGLU', number: (x, y) => (x / (1 + Math.exp(-alpha * x))) * y, accepts: isFloat },
        a,
        b,
      ),
    ];
  },
};
