import type { Graph } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../tensor/dtype.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { isTensor } from '../tensor/value.js';
import { check, input, type KernelContext, type OpDef } from './op.js';
import { softmaxLine } from './support/axis-reduce.js';
import { gemmNN, gemmNT } from './support/matmul.js';
import { type AttentionShape, attention } from './support/nn-attention.js';
import { tensorFromValues } from './support/nn-numeric.js';

/**
 * Runs a modifier subgraph (score_mod, prob_mod) on the (B, H, L, S) values, as a tensor of the
 * softmax precision `type`, and returns what it makes of them.
 */
async function modify(
  ctx: KernelContext,
  name: string,
  graph: Graph,
  values: Float64Array,
  type: DataType,
  dims: readonly number[],
): Promise<ArrayLike<number>> {
  check(
    graph.inputs.length === 1 && graph.outputs.length === 1,
    () =>
      `${name} must take one input and produce one output, has ${graph.inputs.length} and ${graph.outputs.length}`,
  );
  const arg = new Tensor(type, encodeNumbers(type, values) as never, dims);
  const [out] = await ctx.runSubgraph(graph, new Map([[graph.inputs[0].name, arg]]));
  check(
    isTensor(out) && out.type === type && sameShape(out.dims, dims),
    () => `${name} must return a ${type} tensor of shape ${formatShape(dims)}, got ${out}`,
  );
  return asNumbers(out);
}

/**
 * Attention through the modifier subgraphs: the whole (B, Hq, L, S) score tensor is built, since
 * each modifier maps it at once.
 */
async function modifiedAttention(
  ctx: KernelContext,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: AttentionShape,
  scale: number,
  precision: DataType,
  out: Float64Array,
): Promise<void> {
  const { batch, qHeads, kvHeads, qLen, kvLen, headDim, vDim } = s;
  const group = qHeads / kvHeads;
  const dims = [batch, qHeads, qLen, kvLen];
  const plane = qLen * kvLen;
  let scores = new Float64Array(batch * qHeads * plane);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < qHeads; h++) {
      const head = b * qHeads + h;
      const kvHead = b * kvHeads + Math.floor(h / group);
      gemmNT(
        q,
        head * qLen * headDim,
        k,
        kvHead * kvLen * headDim,
        scores,
        head * plane,
        qLen,
        headDim,
        kvLen,
      );
    }
  }
  for (let i = 0; i < scores.length; i++) scores[i] *= scale;
  if (ctx.attrs.has('score_mod')) {
    scores = Float64Array.from(
      await modify(ctx, 'score_mod', ctx.attrs.graph('score_mod'), scores, precision, dims),
    );
  }
  for (let row = 0; row < batch * qHeads * qLen; row++)
    softmaxLine(scores, scores, row * kvLen, 1, kvLen, false);
  const probs = ctx.attrs.has('prob_mod')
    ? await modify(ctx, 'prob_mod', ctx.attrs.graph('prob_mod'), scores, precision, dims)
    : scores;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < qHeads; h++) {
      const head = b * qHeads + h;
      const kvHead = b * kvHeads + Math.floor(h / group);
      gemmNN(probs, head * plane, v, kvHead * kvLen * vDim, out, head * qLen * vDim, qLen, kvLen, vDim);
    }
  }
}

/**
 * FlexAttention (ai.onnx.preview): Y = prob_mod(Softmax(score_mod(scale Q.K^T))) . V over rank-4
 * Q (B, Hq, L, E), K (B, Hkv, S, E), V (B, Hkv, S, Ev); query head h reads K/V head
 * floor(h / (Hq / Hkv)). scale defaults to 1/sqrt(E). The optional score_mod and prob_mod subgraphs
 * each map the whole (B, Hq, L, S) tensor, typed by softmax_precision (float32 unless the inputs
 * are double, then double).
 */
export const FlexAttention: OpDef = {
  type: 'FlexAttention',
  domain: 'ai.onnx.preview',
  infer(ctx) {
    const [q, , v] = ctx.inputs;
    const dims = q?.dims && v?.dims ? [q.dims[0], q.dims[1], q.dims[2], v.dims[3]] : undefined;
    return [{ type: q?.type, dims }];
  },
  async run(ctx) {
    const q = input(ctx, 0);
    const k = input(ctx, 1);
    const v = input(ctx, 2);
    check(isFloat(q.type), () => `type ${q.type} is not supported`);
    check(
      q.dims.length === 4 && k.dims.length === 4 && v.dims.length === 4,
      () =>
        `Q, K and V must be rank 4, got ${formatShape(q.dims)}, ${formatShape(k.dims)}, ${formatShape(v.dims)}`,
    );
    const [batch, qHeads, qLen, e] = q.dims;
    const [, kvHeads, kvLen, vDim] = v.dims;
    check(
      k.dims[0] === batch &&
        k.dims[1] === kvHeads &&
        k.dims[2] === kvLen &&
        k.dims[3] === e &&
        v.dims[0] === batch,
      () => `K ${formatShape(k.dims)} and V ${formatShape(v.dims)} do not match Q ${formatShape(q.dims)}`,
    );
    check(
      kvHeads > 0 && qHeads % kvHeads === 0,
      () => `query heads ${qHeads} are not a multiple of key/value heads ${kvHeads}`,
    );
    const scale = ctx.attrs.float('scale', 0) || 1 / Math.sqrt(e);
    const precision: DataType = ctx.attrs.has('softmax_precision')
      ? dataTypeFromOnnx(ctx.attrs.int('softmax_precision'))
      : q.type === 'float64'
        ? 'float64'
        : 'float32';
    check(isFloat(precision), () => `softmax_precision ${precision} is not a float type`);
    const qv = asNumbers(q);
    const kv = asNumbers(k);
    const vv = asNumbers(v);
    const out = new Float64Array(batch * qHeads * qLen * vDim);
    const shape = { batch, qHeads, kvHeads, qLen, kvLen, headDim: e, vDim };
    if (!ctx.attrs.has('score_mod') && !ctx.attrs.has('prob_mod')) {
      // Plain scaled dot-product attention: blocked, without the whole score tensor.
      attention(qv, kv, vv, shape, { scale }, out);
    } else {
      await modifiedAttention(ctx, qv, kv, vv, shape, scale, precision, out);
    }
    return [tensorFromValues(q.type, out, [batch, qHeads, qLen, vDim])];
  },
};
