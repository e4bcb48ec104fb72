import { input, type OpDef } from './op.js';
import { runUnary } from './support/elementwise.js';
import { sameAsInput } from './support/infer.js';

/** ai.onnx.ml Binarizer: 1 where X > threshold, else 0, in X's type. */
export const Binarizer: OpDef = {
  type: 'Binarizer',
  domain: 'ai.onnx.ml',
  infer: sameAsInput,
  run(ctx) {
    const threshold = ctx.attrs.float('threshold', 0);
    return [runUnary({ type: 'Binarizer', number: (v) => (v > threshold ? 1 : 0) }, input(ctx, 0))];
  },
};
