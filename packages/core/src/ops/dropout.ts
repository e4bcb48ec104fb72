import { asNumbers, encodeNumbers, scalarOf } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type KernelContext, type OpDef } from './op.js';
import { randomFor } from './support/random.js';

/** The drop ratio and whether dropping applies: inputs 1-2 from opset 12, else the `ratio` attribute (inference only). */
function dropoutArgs(ctx: KernelContext): { ratio: number; training: boolean } {
  if (ctx.opset < 12) return { ratio: ctx.attrs.float('ratio', 0.5), training: false };
  const r = ctx.inputs[1];
  const t = ctx.inputs[2];
  return { ratio: r ? scalarOf(r, 'ratio') : 0.5, training: t ? scalarOf(t, 'training_mode') !== 0 : false };
}

/**
 * Dropout: the identity in inference (and with ratio 0); in training mode each element is dropped
 * with probability `ratio` (reproducibly when `seed` is set) and the survivors scaled by 1/(1-ratio). The optional mask output is bool
 * from opset 10 (the input type before).
 */
export const Dropout: OpDef = {
  type: 'Dropout',
  nondeterministic: true,
  infer(ctx) {
    const x = ctx.inputs[0];
    const metas = [{ type: x?.type, dims: x?.dims }];
    if (ctx.outputCount > 1) metas.push({ type: ctx.opset < 10 ? x?.type : 'bool', dims: x?.dims });
    return metas;
  },
  run(ctx) {
    const x = input(ctx, 0);
    const { ratio, training } = dropoutArgs(ctx);
    check(ratio >= 0 && ratio < 1, () => `ratio must be in [0, 1), got ${ratio}`);
    const keep = new Uint8Array(x.size).fill(1);
    let y = x.reshape(x.dims);
    if (training && ratio > 0) {
      const v = asNumbers(x);
      const out = new Float64Array(x.size);
      const scale = 1 / (1 - ratio);
      const rng = randomFor(ctx);
      for (let i = 0; i < out.length; i++) {
        keep[i] = rng.uniform() >= ratio ? 1 : 0;
        out[i] = keep[i] * v[i] * scale;
      }
      y = new Tensor(x.type, encodeNumbers(x.type, out) as never, x.dims);
    }
    if (ctx.outputCount < 2) return [y];
    const maskType = ctx.opset < 10 ? x.type : 'bool';
    return [y, new Tensor(maskType, encodeNumbers(maskType, keep) as never, x.dims)];
  },
};
