import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { transposeData } from '../tensor/transpose.js';
import { check, input, type OpDef } from './op.js';
import { attention, type ScoreStage } from './support/nn-attention.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

const add = (a: Dim | undefined, b: Dim | undefined): Dim =>
  typeof a === 'number' && typeof b === 'number' ? a + b : null;
const div = (a: Dim | undefined, b: number): Dim => (typeof a === 'number' && b > 0 ? a / b : null);

/** (B, T, H*D) -> (B, H, T, D). */
function splitHeads(t: Tensor, heads: number): { values: ArrayLike<number>; dims: number[] } {
  const [b, len, hidden] = t.dims;
  check(hidden % heads === 0, () => `hidden size ${hidden} is not divisible by ${heads} heads`);
  const d = hidden / heads;
  const values = new Float64Array(t.size);
  transposeData(asNumbers(t), [b, len, heads, d], [0, 2, 1, 3], values);
  return { values, dims: [b, heads, len, d] };
}

/** Concatenates past (B, H, P, D) and current (B, H, T, D) along the sequence axis. */
function withPast(
  past: Tensor | undefined,
  cur: { values: ArrayLike<number>; dims: number[] },
): { values: ArrayLike<number>; dims: number[] } {
  if (!past) return cur;
  const [b, h, t, d] = cur.dims;
  check(
    past.dims.length === 4 && past.dims[0] === b && past.dims[1] === h && past.dims[3] === d,
    () => `past shape ${formatShape(past.dims)} does not match (${b}, ${h}, ?, ${d})`,
  );
  const p = past.dims[2];
  const pv = asNumbers(past);
  const values = new Float64Array(b * h * (p + t) * d);
  for (let i = 0; i < b * h; i++) {
    const o = i * (p + t) * d;
    for (let j = 0; j < p * d; j++) values[o + j] = pv[i * p * d + j];
    for (let j = 0; j < t * d; j++) values[o + p * d + j] = cur.values[i * t * d + j];
  }
  return { values, dims: [b, h, p + t, d] };
}

export const Attention: OpDef = {
  type: 'Attention',
  infer(ctx) {
    const [q, k, v, , pastK] = ctx.inputs;
    const type = q?.type;
    if (!q?.dims || !k?.dims || !v?.dims) return [{ type }, { type: k?.type }, { type: v?.type }, { type }];
    const is3d = q.dims.length === 3;
    const qh = ctx.attrs.int('q_num_heads', 0);
    const kvh = ctx.attrs.int('kv_num_heads', 0);
    const [b, hq, tq] = is3d ? [q.dims[0], qh || null, q.dims[1]] : q.dims;
    const [hkv, tkv] = is3d ? [kvh || null, k.dims[1]] : [k.dims[1], k.dims[2]];
    const dk = is3d ? div(k.dims[2], kvh) : k.dims[3];
    const dv = is3d ? div(v.dims[2], kvh) : v.dims[3];
    const total = add(pastK?.dims?.[2] ?? 0, tkv);
    const y: Dim[] = is3d ? [b, tq, typeof dv === 'number' && qh > 0 ? qh * dv : null] : [b, hq, tq, dv];
    return [
      { type, dims: y },
      { type: k.type, dims: [b, hkv, total, dk] },
      { type: v.type, dims: [b, hkv, total, dv] },
      { type, dims: [b, hq, tq, total] },
    ];
  },
  run(ctx) {
    const [qt, kt, vt] = [0, 1, 2].map((i) => input(ctx, i));
    const [mask, pastK, pastV, nonpad] = [3, 4, 5, 6].map((i) => ctx.inputs[i]);
    check(isFloat(qt.type), () => `type ${qt.type} is not supported`);
    check(
      qt.dims.length === kt.dims.length && qt.dims.length === vt.dims.length,
      'Q, K and V must have the same rank',
    );
    const is3d = qt.dims.length === 3;
    check(is3d || qt.dims.length === 4, () => `Q must be 3-D or 4-D, got ${formatShape(qt.dims)}`);
    let q: { values: ArrayLike<number>; dims: number[] };
    let k: { values: ArrayLike<number>; dims: number[] };
    let v: { values: ArrayLike<number>; dims: number[] };
    if (is3d) {
      const qh = ctx.attrs.int('q_num_heads');
      const kvh = ctx.attrs.int('kv_num_heads');
      [q, k, v] = [splitHeads(qt, qh), splitHeads(kt, kvh), splitHeads(vt, kvh)];
    } else {
      [q, k, v] = [qt, kt, vt].map((t) => ({ values: asNumbers(t), dims: [...t.dims] }));
    }
    k = withPast(pastK, k);
    v = withPast(pastV, v);
    const [batch, qHeads, qLen, headDim] = q.dims;
    const [, kvHeads, kvLen] = k.dims;
    const vDim = v.dims[3];
    check(
      k.dims[0] === batch && v.dims[0] === batch && k.dims[3] === headDim,
      () => `Q ${formatShape(q.dims)} and K ${formatShape(k.dims)} do not match`,
    );
    check(
      v.dims[1] === kvHeads && v.dims[2] === kvLen,
      () => `K ${formatShape(k.dims)} and V ${formatShape(v.dims)} do not match`,
    );
    check(
      qHeads % kvHeads === 0,
      () => `${qHeads} query heads are not a multiple of ${kvHeads} key/value heads`,
    );
    const scale = ctx.attrs.float('scale', 1 / Math.sqrt(headDim));
    const causal = ctx.attrs.int('is_causal', 0) !== 0;
    const nonpadLen = nonpad ? asNumbers(nonpad) : undefined;
    check(!nonpadLen || nonpadLen.length === batch, () => `nonpad_kv_seqlen must have ${batch} values`);
    // Causal masking is bottom-right aligned: query i sees keys j <= i + offset.
    const pastLen = pastK ? pastK.dims[2] : 0;
    const offset = (b: number): number => (pastK || !nonpadLen ? pastLen : nonpadLen[b] - qLen);

    // The mask broadcasts right-aligned to (B, H, Tq, L); keys beyond its length L are masked out.
    let maskValues: ArrayLike<number> | undefined;
    let ms = [0, 0, 0, 0];
    let maskLen = kvLen;
    const isBool = mask?.type === 'bool';
    if (mask) {
      const md = mask.dims;
      check(
        md.length >= 2 && md.length <= 4,
        () => `attn_mask must have rank 2 to 4, got ${formatShape(md)}`,
      );
      maskValues = asNumbers(mask);
      const full = [...new Array<number>(4 - md.length).fill(1), ...md];
      const target = [batch, qHeads, qLen];
      check(
        full.slice(0, 3).every((d, i) => d === 1 || d === target[i]),
        () => `attn_mask ${formatShape(md)} does not broadcast to (${batch}, ${qHeads}, ${qLen}, ${kvLen})`,
      );
      maskLen = full[3];
      check(maskLen <= kvLen, () => `attn_mask has ${maskLen} key positions, there are ${kvLen}`);
      ms = [full[1] * full[2] * maskLen, full[2] * maskLen, maskLen, 1].map((st, i) =>
        full[i] === 1 ? 0 : st,
      );
    }
    const needsBias = mask !== undefined || causal || nonpadLen !== undefined;
    const addBias = (b: number, h: number, row0: number, rows: number, scores: Float64Array): void => {
      const valid = nonpadLen ? nonpadLen[b] : kvLen;
      for (let r = 0; r < rows; r++) {
        const i = row0 + r;
        const limit = causal ? i + offset(b) : kvLen;
        const mrow = b * ms[0] + h * ms[1] + i * ms[2];
        const base = r * kvLen;
        for (let j = 0; j < kvLen; j++) {
          let bias = 0;
          if (j > limit || j >= valid || j >= maskLen) bias = Number.NEGATIVE_INFINITY;
          else if (maskValues) {
            const m = maskValues[mrow + j];
            bias = isBool ? (m ? 0 : Number.NEGATIVE_INFINITY) : m;
          }
          scores[base + j] += bias;
        }
      }
    };

    // qk_matmul_output: 0/1 = scaled (and soft-capped) Q.K^T, 2 = plus the mask, 3 = after softmax.
    const wantScores = ctx.outputCount > 3 && ctx.node.outputs[3] !== '';
    const mode = ctx.attrs.int('qk_matmul_output_mode', 0);
    const stage: ScoreStage = mode === 3 ? 'softmax' : mode === 2 ? 'biased' : 'scaled';
    const scoreOut = wantScores ? new Float64Array(batch * qHeads * qLen * kvLen) : undefined;
    const out = accumulatorFor(qt.type, batch * qHeads * qLen * vDim);
    attention(
      q.values,
      k.values,
      v.values,
      { batch, qHeads, kvHeads, qLen, kvLen, headDim, vDim },
      {
        scale,
        softcap: ctx.attrs.float('softcap', 0),
        addBias: needsBias ? addBias : undefined,
        observe: scoreOut
          ? (st, b, h, row0, _rows, scores) => {
              if (st === stage) scoreOut.set(scores, ((b * qHeads + h) * qLen + row0) * kvLen);
            }
          : undefined,
      },
      out,
    );
    let y: Tensor;
    if (is3d) {
      const t = accumulatorFor(qt.type, out.length);
      transposeData(out, [batch, qHeads, qLen, vDim], [0, 2, 1, 3], t);
      y = tensorFromValues(qt.type, t, [batch, qLen, qHeads * vDim]);
    } else {
      y = tensorFromValues(qt.type, out, [batch, qHeads, qLen, vDim]);
    }
    const present = (t: Tensor, x: { values: ArrayLike<number>; dims: number[] }): Tensor =>
      tensorFromValues(
        t.type,
        x.values instanceof Float64Array ? x.values : Float64Array.from(x.values),
        x.dims,
      );
    const outs = [y];
    if (ctx.outputCount > 1) outs.push(present(kt, k), present(vt, v));
    if (scoreOut) outs.push(tensorFromValues(qt.type, scoreOut, [batch, qHeads, qLen, kvLen]));
    return outs;
  },
};
