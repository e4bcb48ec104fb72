import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { inferLoss, nllLoss } from './support/control-loss.js';

/** SoftmaxCrossEntropyLoss: log-softmax over the class axis (1), then the NLL loss; output 1 is the log-softmax. */
export const SoftmaxCrossEntropyLoss: OpDef = {
  type: 'SoftmaxCrossEntropyLoss',
  infer(ctx) {
    const x = ctx.inputs[0];
    return [inferLoss(ctx), { type: x?.type, dims: x?.dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.dims.length >= 2, () => `input must be [N, C, d1..dk], got rank ${x.dims.length}`);
    const v = asNumbers(x);
    const [n, c] = x.dims;
    const inner = shapeSize(x.dims.slice(2));
    const logProb = new Float64Array(v.length);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < inner; d++) {
        const base = i * c * inner + d;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < c; k++) max = Math.max(max, v[base + k * inner]);
        let sum = 0;
        for (let k = 0; k < c; k++) sum += Math.exp(v[base + k * inner] - max);
        const log = Math.log(sum) + max;
        for (let k = 0; k < c; k++) logProb[base + k * inner] = v[base + k * inner] - log;
      }
    }
    const loss = nllLoss(ctx, logProb, x.dims, x.type, input(ctx, 1));
    if (ctx.outputCount < 2) return [loss];
    return [loss, new Tensor(x.type, encodeNumbers(x.type, logProb) as never, x.dims)];
  },
};
