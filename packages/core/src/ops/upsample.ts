import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { input, type OpDef } from './op.js';
import { runResize } from './resize.js';

/** Upsample (deprecated in opset 10): Resize with asymmetric coordinates and floor rounding (opset 9 defaults). */
export const Upsample: OpDef = {
  type: 'Upsample',
  infer(ctx) {
    const x = ctx.inputs[0];
    const s = ctx.inputs[1]?.value;
    const xd = x?.dims;
    if (xd?.every((d) => typeof d === 'number') && (s || ctx.attrs.has('scales'))) {
      const scales = s ? asNumbers(s) : ctx.attrs.floats('scales');
      return [{ type: x!.type, dims: (xd as number[]).map((d, i) => Math.floor(d * scales[i])) }];
    }
    return [{ type: x?.type, dims: xd?.map((): Dim => null) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const scales = ctx.inputs[1] ?? new Tensor('float32', [...ctx.attrs.floats('scales')], [x.dims.length]);
    return [runResize(x, ctx.attrs, 9, undefined, scales, undefined)];
  },
};
