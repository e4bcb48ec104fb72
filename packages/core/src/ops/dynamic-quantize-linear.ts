import { asNumbers } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { quantizeValues, rint } from './support/nn-quant.js';

export const DynamicQuantizeLinear: OpDef = {
  type: 'DynamicQuantizeLinear',
  infer(ctx) {
    const x = ctx.inputs[0];
    return [
      { type: 'uint8', dims: x?.dims },
      { type: 'float32', dims: [] },
      { type: 'uint8', dims: [] },
    ];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type === 'float32', () => `type ${x.type} is not supported`);
    const v = asNumbers(x);
    // The range always includes 0 so that 0 is exactly representable; an all-zero input gets scale 1.
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < v.length; i++) {
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    const scale = hi === lo ? 1 : Math.fround((hi - lo) / 255);
    const zero = rint(Math.min(255, Math.max(0, Math.fround(0 - Math.fround(lo / scale)))));
    const q = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) q[i] = Math.fround(v[i] / scale);
    return [
      new Tensor(
        'uint8',
        quantizeValues('uint8', q, new Float64Array(v.length).fill(zero), true) as Uint8Array,
        x.dims,
      ),
      new Tensor('float32', [scale], []),
      new Tensor('uint8', [zero], []),
    ];
  },
};
