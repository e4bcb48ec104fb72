import { asNumbers, scalarOf } from '../tensor/convert.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { attention } from './support/nn-attention.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

function scale(t: Tensor, what: string): number {
  check(
    t.dims.length === 0 || (t.dims.length === 1 && t.dims[0] === 1),
    () => `${what} must have shape () or (1), got ${formatShape(t.dims)}`,
  );
  return scalarOf(t, what);
}

/**
 * OnnxStream's fused SDPA (produced from Transpose(K) -> MatMul -> Div/Mul -> Add(mask) ->
 * Softmax -> MatMul): inputs [Q, K, s, mask, V] compute softmax(Q.K^T / s + mask).V, and
 * [Q, K, s0, mask, V, s1] use the scale s0 * s1. Q (B, H, Tq, C), K (B, Hkv, Tkv, C),
 * V (B, Hkv, Tkv, Cv) with H a multiple of Hkv; mask (Tq, Tkv) or (1, 1, Tq, Tkv), additive.
 */
export const ScaledDotProductAttention: OpDef = {
  type: 'ScaledDotProductAttention',
  infer(ctx) {
    const q = ctx.inputs[0];
    const v = ctx.inputs[4];
    if (!q?.dims) return [{ type: q?.type }];
    return [{ type: q.type, dims: [...q.dims.slice(0, -1), v?.dims?.[3] ?? null] }];
  },
  run(ctx) {
    const [q, k, s0, mask, v] = [0, 1, 2, 3, 4].map((i) => input(ctx, i));
    const s1 = ctx.inputs[5];
    check(
      q.type === 'float32' || q.type === 'float16',
      () => `type ${q.type} is not supported (float32 or float16)`,
    );
    check(
      [k, v, mask].every((t) => t.type === q.type),
      () => `Q, K, mask and V must all be ${q.type}`,
    );
    check(q.dims.length === 4 && k.dims.length === 4 && v.dims.length === 4, 'Q, K and V must be 4-D');
    const [batch, qHeads, qLen, headDim] = q.dims;
    const [kb, kvHeads, kvLen, kd] = k.dims;
    check(
      kb === batch && kd === headDim && qHeads % kvHeads === 0,
      () => `Q ${formatShape(q.dims)} and K ${formatShape(k.dims)} do not match`,
    );
    check(
      v.dims[0] === batch && v.dims[1] === kvHeads && v.dims[2] === kvLen,
      () => `K ${formatShape(k.dims)} and V ${formatShape(v.dims)} do not match`,
    );
    const md = mask.dims;
    check(
      (md.length === 2 || (md.length === 4 && md[0] === 1 && md[1] === 1)) &&
        md[md.length - 2] === qLen &&
        md[md.length - 1] === kvLen,
      () => `mask must be (${qLen}, ${kvLen}) or (1, 1, ${qLen}, ${kvLen}), got ${formatShape(md)}`,
    );
    const factor = s1 ? scale(s0, 's0') * scale(s1, 's1') : 1 / scale(s0, 's');
    const m = asNumbers(mask);
    const vDim = v.dims[3];
    const out = accumulatorFor(q.type, batch * qHeads * qLen * vDim);
    attention(
      asNumbers(q),
      asNumbers(k),
      asNumbers(v),
      { batch, qHeads, kvHeads, qLen, kvLen, headDim, vDim },
      {
        scale: factor,
        addBias: (_b, _h, row0, rows, scores) => {
          const o = row0 * kvLen;
          for (let i = 0; i < rows * kvLen; i++) scores[i] += m[o + i];
        },
      },
      out,
    );
    return [tensorFromValues(q.type, out, [batch, qHeads, qLen, vDim])];
  },
};
