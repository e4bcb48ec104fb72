import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { randomFor, randomType } from './support/random.js';

/**
 * Bernoulli: 1 with the input's probability, else 0; the input's type unless `dtype` is given.
 * Seeded draws are numpy's RandomState(seed).binomial(1, p), as ONNX's reference implementation.
 */
export const Bernoulli: OpDef = {
  type: 'Bernoulli',
  nondeterministic: true,
  infer: (ctx) => [{ type: randomType(ctx, ctx.inputs[0]?.type), dims: ctx.inputs[0]?.dims }],
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const outType = randomType(ctx, x.type)!;
    check(outType !== 'string', 'Bernoulli cannot produce strings');
    const p = asNumbers(x);
    const rng = randomFor(ctx);
    const out = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      check(pi >= 0 && pi <= 1, () => `probability ${pi} at index ${i} is not in [0, 1]`);
      out[i] = rng.bernoulli(pi);
    }
    return [new Tensor(outType, encodeNumbers(outType, out) as never, x.dims)];
  },
};
