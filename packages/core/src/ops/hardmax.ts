import { asNumbers } from '../tensor/convert.js';
import { check, input, type OpDef } from './op.js';
import { forEachLine, softmaxLayout } from './support/axis-reduce.js';
import { sameAsInput } from './support/infer.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const Hardmax: OpDef = {
  type: 'Hardmax',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type !== 'string' && x.type !== 'bool', () => `type ${x.type} is not supported`);
    const v = asNumbers(x);
    const out = accumulatorFor(x.type, v.length);
    const l = softmaxLayout(ctx, x.dims);
    // 1 at the first maximum of each line, 0 elsewhere.
    forEachLine(l, (base, stride) => {
      let best = 0;
      for (let j = 1; j < l.n; j++) if (v[base + j * stride] > v[base + best * stride]) best = j;
      if (l.n > 0) out[base + best * stride] = 1;
    });
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
