/**
 * Shared parts of the normalisation operators: mean and population variance of contiguous blocks
 * (two passes, in float64) and over arbitrary axes, the per-channel inputs and their checks, the
 * broadcast of an affine parameter (scale/bias) to the normalised block, and the trailing-axes
 * normalisations (LayerNormalization, RMSNormalization).
 */
import type { Dim } from '../../graph/graph.js';
import { asNumbers } from '../../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../../tensor/dtype.js';
import { formatShape, normalizeAxis, sameShape, shapeSize } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { transposeData } from '../../tensor/transpose.js';
import { check, type InferContext, input, type KernelContext, type ValueMeta } from '../op.js';
import { broadcastN } from './elementwise.js';
import { broadcastsTo } from './infer.js';
import { type Accumulator, accumulatorFor, tensorFromValues } from './nn-numeric.js';

interface Moments {
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

/** Mean and population variance of each of `blocks` consecutive runs of `size` values. */
export function blockMoments(v: ArrayLike<number>, blocks: number, size: number): Moments {
  const mean = new Float64Array(blocks);
  const variance = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * size;
    let s = 0;
    for (let i = start; i < start + size; i++) s += v[i];
    const m = s / size;
    let q = 0;
    for (let i = start; i < start + size; i++) {
      const d = v[i] - m;
      q += d * d;
    }
    mean[b] = m;
    variance[b] = q / size;
  }
  return { mean, variance };
}

/**
 * Moments over `axes` of a tensor with `dims`, one per position of the kept axes (in their
 * order). Non-trailing reduction axes are moved last with a transpose first.
 */
export function axesMoments(v: ArrayLike<number>, dims: readonly number[], axes: readonly number[]): Moments {
  const reduced = new Set(axes);
  const kept = dims.map((_, i) => i).filter((i) => !reduced.has(i));
  const perm = [...kept, ...[...reduced].sort((a, b) => a - b)];
  let data = v;
  if (perm.some((a, i) => a !== i)) {
    const t = new Float64Array(v.length);
    transposeData(v, dims, perm, t);
    data = t;
  }
  const blocks = shapeSize(kept.map((a) => dims[a]));
  return blockMoments(data, blocks, blocks === 0 ? 0 : v.length / blocks);
}

/**
 * The values of an affine parameter (scale or bias) laid over a normalised block of dims
 * `blockDims` (unidirectional broadcast), `size` = shapeSize(blockDims) values.
 */
function blockParam(p: Tensor, blockDims: readonly number[], what: string): ArrayLike<number> {
  const v = asNumbers(p);
  if (sameShape(p.dims, blockDims)) return v;
  const size = shapeSize(blockDims);
  if (p.size === size) return v;
  check(
    broadcastsTo(p.dims, blockDims),
    () =>
      `${what} of shape ${formatShape(p.dims)} does not broadcast to the normalised shape ${formatShape(blockDims)}`,
  );
  const out = new Float64Array(size);
  broadcastN([{ data: v, dims: p.dims }], out, blockDims, (x) => x[0]);
  return out;
}

/** Input 0 of the per-channel normalisations (BatchNormalization, InstanceNormalization, ...): float (N, C, ...). */
export function channelsInput(ctx: KernelContext): Tensor {
  const x = input(ctx, 0);
  check(
    isFloat(x.type) && x.dims.length >= 2,
    () => `expected a float tensor of rank >= 2, got ${x.type} ${formatShape(x.dims)}`,
  );
  return x;
}

/** The values of inputs `indices`, each of which must hold one value per channel (`names` in the error). */
export function perChannelInputs(
  ctx: KernelContext,
  indices: readonly number[],
  channels: number,
  names: string,
): ArrayLike<number>[] {
  const params = indices.map((i) => asNumbers(input(ctx, i)));
  check(
    params.every((p) => p.length === channels),
    () => `${names} must have ${channels} values (one per channel)`,
  );
  return params;
}

/** out[from, to) = (x - mean) * k + shift, with k = scale / sqrt(variance + epsilon): one normalised run. */
export function normalizeRun(
  x: ArrayLike<number>,
  out: Accumulator,
  from: number,
  to: number,
  mean: number,
  k: number,
  shift: number,
): void {
  for (let i = from; i < to; i++) out[i] = (x[i] - mean) * k + shift;
}

/** The float type named by a `stash_type` attribute (the precision of the statistics outputs). */
function stashType(code: number, fallback: DataType): DataType {
  const t = dataTypeFromOnnx(code);
  return isFloat(t) ? t : fallback;
}

/**
 * LayerNormalization / RMSNormalization: each run of the trailing axes from `axis` on is
 * normalised (centred by its mean unless `rms`, divided by sqrt(variance or mean square + epsilon)),
 * then scaled and shifted. Returns Y and, for LayerNormalization, Mean and InvStdDev.
 */
export function runTrailingNorm(ctx: KernelContext, rms: boolean): Tensor[] {
  const x = input(ctx, 0);
  check(isFloat(x.type), () => `type ${x.type} is not supported`);
  const rank = x.dims.length;
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), rank);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const blockDims = x.dims.slice(axis);
  const size = shapeSize(blockDims);
  const blocks = shapeSize(x.dims.slice(0, axis));
  const v = asNumbers(x);
  const scale = blockParam(input(ctx, 1), blockDims, 'scale');
  const bias = !rms && ctx.inputs[2] ? blockParam(ctx.inputs[2], blockDims, 'bias') : undefined;
  const out = accumulatorFor(x.type, v.length);
  const mean = new Float64Array(blocks);
  const inv = new Float64Array(blocks);
  if (rms) {
    for (let b = 0; b < blocks; b++) {
      let q = 0;
      for (let i = b * size; i < (b + 1) * size; i++) q += v[i] * v[i];
      inv[b] = 1 / Math.sqrt(q / size + eps);
    }
  } else {
    const m = blockMoments(v, blocks, size);
    mean.set(m.mean);
    for (let b = 0; b < blocks; b++) inv[b] = 1 / Math.sqrt(m.variance[b] + eps);
  }
  for (let b = 0; b < blocks; b++) {
    const o = b * size;
    const mb = mean[b];
    const ib = inv[b];
    for (let i = 0; i < size; i++) out[o + i] = (v[o + i] - mb) * ib * scale[i] + (bias ? bias[i] : 0);
  }
  const y = tensorFromValues(x.type, out, x.dims);
  if (rms) return [y];
  const statType = stashType(ctx.attrs.int('stash_type', 1), 'float32');
  const statDims = [...x.dims.slice(0, axis), ...blockDims.map(() => 1)];
  return [y, tensorFromValues(statType, mean, statDims), tensorFromValues(statType, inv, statDims)];
}

/** Output metas of LayerNormalization / RMSNormalization. */
export function inferTrailingNorm(ctx: InferContext, rms: boolean): ValueMeta[] {
  const x = ctx.inputs[0];
  const y: ValueMeta = { type: x?.type, dims: x?.dims };
  if (rms) return [y];
  const statType = stashType(ctx.attrs.int('stash_type', 1), 'float32');
  let statDims: Dim[] | undefined;
  if (x?.dims) {
    const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.dims.length);
    statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  }
  return [y, { type: statType, dims: statDims }, { type: statType, dims: statDims }];
}
