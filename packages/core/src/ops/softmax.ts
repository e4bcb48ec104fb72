import { asFloat32, encodeNumbers } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { forEachLine, softmaxLayout } from './support/axis-reduce.js';
import { floatOnly } from './support/elementwise.js';
import { sameAsInput } from './support/infer.js';

export const Softmax: OpDef = {
  type: 'Softmax',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    check(floatOnly(x.type), () => `type ${x.type} is not supported`);
    const v = asFloat32(x);
    const out = new Float32Array(v.length);
    const layout = softmaxLayout(ctx, x.dims);
    forEachLine(layout, (base, stride) => {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < layout.n; j++) max = Math.max(max, v[base + j * stride]);
      let sum = 0;
      for (let j = 0; j < layout.n; j++) {
        const e = Math.exp(v[base + j * stride] - max);
        out[base + j * stride] = e;
        sum += e;
      }
      for (let j = 0; j < layout.n; j++) out[base + j * stride] /= sum;
    });
    return [new Tensor(x.type, (x.type === 'float32' ? out : encodeNumbers(x.type, out)) as never, x.dims)];
  },
};
