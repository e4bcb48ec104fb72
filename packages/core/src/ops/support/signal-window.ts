/**
 * The generalised cosine windows (Hann, Hamming, Blackman):
 * w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) - ..., with N = size (periodic, the default)
 * or size - 1 (symmetric).
 */
import { encodeNumbers, scalarOf } from '../../tensor/convert.js';
import { dataTypeFromOnnx } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, input, type OpDef } from '../op.js';

export function cosineWindow(type: string, terms: readonly number[]): OpDef {
  return {
    type,
    infer(ctx) {
      const size = ctx.inputs[0]?.value;
      return [
        {
          type: dataTypeFromOnnx(ctx.attrs.int('output_datatype', 1)),
          dims: [size ? scalarOf(size, 'size') : null],
        },
      ];
    },
    run(ctx) {
      const size = scalarOf(input(ctx, 0), 'size');
      check(Number.isInteger(size) && size >= 0, () => `size ${size} must be a non-negative integer`);
      const outType = dataTypeFromOnnx(ctx.attrs.int('output_datatype', 1));
      const denom = ctx.attrs.int('periodic', 1) ? size : size - 1;
      const out = new Float64Array(size);
      for (let n = 0; n < size; n++) {
        // A one-point symmetric window has no period: every cosine is 1.
        const angle = denom > 0 ? (2 * Math.PI * n) / denom : 0;
        let w = 0;
        for (let k = 0; k < terms.length; k++) w += (k % 2 ? -1 : 1) * terms[k] * Math.cos(k * angle);
        out[n] = w;
      }
      return [new Tensor(outType, encodeNumbers(outType, out) as never, [size])];
    },
  };
}
