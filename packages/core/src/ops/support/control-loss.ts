/**
 * The negative log-likelihood reduction shared by NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss: input [N, C, d1..dk] of log-probabilities, target [N, d1..dk] of class
 * indices, optional per-class weights and an ignored class.
 */
import type { Dim } from '../../graph/graph.js';
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { type DataType, isFloat } from '../../tensor/dtype.js';
import { formatShape, sameShape, shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, type InferContext, type KernelContext, type ValueMeta } from '../op.js';

/** Output 0's meta: the target's shape without reduction, a scalar with one. */
export function inferLoss(ctx: InferContext): ValueMeta {
  const type = ctx.inputs[0]?.type;
  if (ctx.attrs.string('reduction', 'mean') !== 'none') return { type, dims: [] };
  const target = ctx.inputs[1]?.dims;
  const x = ctx.inputs[0]?.dims;
  const dims: readonly Dim[] | undefined = target ?? (x && [x[0], ...x.slice(2)]);
  return { type, dims };
}

/**
 * The loss from log-probabilities `logProb` (laid out as `dims`), reading `target`, the optional
 * `weight` input (2) and the `ignore_index` / `reduction` attributes of `ctx`.
 */
export function nllLoss(
  ctx: KernelContext,
  logProb: ArrayLike<number>,
  dims: readonly number[],
  type: DataType,
  target: Tensor,
): Tensor {
  check(isFloat(type), () => `type ${type} is not supported`);
  check(dims.length >= 2, () => `input must be [N, C, d1..dk], got ${formatShape(dims)}`);
  const [n, c] = dims;
  const inner = shapeSize(dims.slice(2));
  const targetDims = [n, ...dims.slice(2)];
  check(
    sameShape(target.dims, targetDims),
    () => `target shape ${formatShape(target.dims)} does not match input shape ${formatShape(dims)}`,
  );
  const weightInput = ctx.inputs[2];
  check(
    !weightInput || weightInput.size === c,
    () => `weight must have ${c} elements, has ${weightInput?.size}`,
  );
  const weight = weightInput && asNumbers(weightInput);
  const ignore = ctx.attrs.has('ignore_index') ? ctx.attrs.int('ignore_index') : undefined;
  const reduction = ctx.attrs.string('reduction', 'mean');
  check(['none', 'sum', 'mean'].includes(reduction), () => `unknown reduction '${reduction}'`);
  const t = asNumbers(target);
  const loss = new Float64Array(t.length);
  let lossSum = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < inner; d++) {
      const k = i * inner + d;
      const cls = t[k];
      if (cls === ignore) continue;
      check(cls >= 0 && cls < c, () => `target class ${cls} is outside [0, ${c})`);
      const w = weight ? weight[cls] : 1;
      loss[k] = -logProb[(i * c + cls) * inner + d] * w;
      lossSum += loss[k];
      weightSum += w;
    }
  }
  if (reduction === 'none') return new Tensor(type, encodeNumbers(type, loss) as never, target.dims);
  const value = reduction === 'sum' ? lossSum : lossSum / weightSum;
  return new Tensor(type, encodeNumbers(type, [value]) as never, []);
}
