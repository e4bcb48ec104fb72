/**
 * The outer x axis x inner decomposition of a tensor into lines along one axis, and the
 * softmax-like operators built on it: for opset < 13 their input is coerced to 2-D at `axis`
 * (default 1); from 13 on they run along one axis (default -1).
 */
import { asNumbers } from '../../tensor/convert.js';
import { isFloat } from '../../tensor/dtype.js';
import { normalizeAxis, shapeSize } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { check, input, type KernelContext } from '../op.js';
import { type Accumulator, accumulatorFor, tensorFromValues } from './nn-numeric.js';

interface AxisLayout {
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/** The lines of `dims` along `axis` (a normalised axis). */
export function axisLayout(dims: readonly number[], axis: number): AxisLayout {
  return { outer: shapeSize(dims.slice(0, axis)), n: dims[axis], inner: shapeSize(dims.slice(axis + 1)) };
}

/** The lines a softmax-like operator normalises (opset-dependent, see above). */
export function softmaxLayout(ctx: KernelContext, dims: readonly number[]): AxisLayout {
  const rank = dims.length;
  if (ctx.opset < 13) {
    const axis = normalizeAxis(ctx.attrs.int('axis', 1), Math.max(rank, 1));
    return { outer: shapeSize(dims.slice(0, axis)), n: shapeSize(dims.slice(axis)), inner: 1 };
  }
  return axisLayout(dims, normalizeAxis(ctx.attrs.int('axis', -1), rank));
}

/** Calls `row(base, stride)` for every line of `n` elements along the layout's axis. */
export function forEachLine(l: AxisLayout, row: (base: number, stride: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    for (let i = 0; i < l.inner; i++) row(o * l.n * l.inner + i, l.inner);
  }
}

/**
 * Softmax (or log-softmax) of `n` values at v[base + j*stride] into out at the same positions,
 * max-subtracted for stability. A line whose values are all -inf (fully masked) gives zeros.
 */
export function softmaxLine(
  v: ArrayLike<number>,
  out: Accumulator,
  base: number,
  stride: number,
  n: number,
  log: boolean,
): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, v[base + j * stride]);
  if (max === Number.NEGATIVE_INFINITY) {
    for (let j = 0; j < n; j++) out[base + j * stride] = log ? Number.NEGATIVE_INFINITY : 0;
    return;
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(v[base + j * stride] - max);
    if (!log) out[base + j * stride] = e;
    sum += e;
  }
  if (log) {
    const shift = max + Math.log(sum);
    for (let j = 0; j < n; j++) out[base + j * stride] = v[base + j * stride] - shift;
  } else {
    for (let j = 0; j < n; j++) out[base + j * stride] /= sum;
  }
}

/** Softmax / LogSoftmax kernel over the operator's axis (opset-dependent layout). */
export function runSoftmax(ctx: KernelContext, log: boolean): Tensor[] {
  const x = input(ctx, 0);
  check(isFloat(x.type), () => `type ${x.type} is not supported`);
  const v = asNumbers(x);
  const out = accumulatorFor(x.type, v.length);
  const l = softmaxLayout(ctx, x.dims);
  forEachLine(l, (base, stride) => softmaxLine(v, out, base, stride, l.n, log));
  return [tensorFromValues(x.type, out, x.dims)];
}
