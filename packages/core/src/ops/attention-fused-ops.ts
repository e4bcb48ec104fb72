import { asNumbers, scalarOf } from '../tensor/convert.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { attention } from './support/nn-attention.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

/** (n, a, b) dims of a 3-D operand or of a 4-D one with a leading 1. */
function heads3d(t: Tensor, what: string): readonly number[] {
  const d = t.dims;
  check(
    d.length === 3 || (d.length === 4 && d[0] === 1),
    () => `${what} must be (n, ., .) or (1, n, ., .), got ${formatShape(d)}`,
  );
  return d.slice(-3);
}

/**
 * OnnxStream's fused attention (produced from MatMul -> [Mul ->] Softmax(-1) -> MatMul): inputs
 * [Q (n, rows, d), K^T (n, d, kv), scale (rank 0, optional), V (n, kv, dv)], 4-D forms with a
 * leading 1 allowed; per head softmax(Q.K^T * scale).V, computed in row blocks (attribute `slices`:
 * OnnxStream's row slicing, in that many blocks).
 */
export const AttentionFusedOps: OpDef = {
  type: 'AttentionFusedOps',
  infer(ctx) {
    const q = ctx.inputs[0];
    const v = ctx.inputs[3];
    if (!q?.dims) return [{ type: q?.type }];
    return [{ type: q.type, dims: [...q.dims.slice(0, -1), v?.dims?.[v.dims.length - 1] ?? null] }];
  },
  run(ctx) {
    const q = input(ctx, 0);
    const kt = input(ctx, 1);
    const s = ctx.inputs[2];
    const v = input(ctx, 3);
    check(
      q.type === 'float32' || q.type === 'float16',
      () => `type ${q.type} is not supported (float32 or float16)`,
    );
    check(
      kt.type === q.type && v.type === q.type,
      () => `input types differ: ${q.type}, ${kt.type}, ${v.type}`,
    );
    const [n, rows, d] = heads3d(q, 'Q');
    const [nk, dk, kv] = heads3d(kt, 'K^T');
    const [nv, kvv, dv] = heads3d(v, 'V');
    check(
      nk === n && nv === n && dk === d && kvv === kv,
      () => `Q ${formatShape(q.dims)}, K^T ${formatShape(kt.dims)} and V ${formatShape(v.dims)} do not match`,
    );
    check(!s || s.dims.length === 0, () => `scale must be rank 0, got ${formatShape(s!.dims)}`);
    // OnnxStream's attention slicing (m_attention_fused_ops_parts): rows in `parts` equal slices,
    // parts raised to the next divisor of rows. Without it, blocks of a fixed number of scores.
    let parts = ctx.attrs.int('slices', 0);
    check(parts >= 0 && parts <= rows, () => `slices must be in 0..${rows} (Q rows), got ${parts}`);
    if (parts > 0) while (rows % parts !== 0) parts++;
    const out = accumulatorFor(q.type, n * rows * dv);
    attention(
      asNumbers(q),
      asNumbers(kt),
      asNumbers(v),
      { batch: 1, qHeads: n, kvHeads: n, qLen: rows, kvLen: kv, headDim: d, vDim: dv },
      {
        scale: s ? scalarOf(s, 'scale') : 1,
        kTransposed: true,
        blockRows: parts > 0 ? rows / parts : undefined,
      },
      out,
    );
    return [tensorFromValues(q.type, out, [...q.dims.slice(0, -1), dv])];
  },
};
