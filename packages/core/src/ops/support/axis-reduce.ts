/**
 * The outer x axis x inner decomposition used by softmax-like operators: for opset < 13 the input
 * is coerced to 2-D at `axis` (default 1); from 13 on the operation runs along one axis (default -1).
 */
import { normalizeAxis, shapeSize } from '../../tensor/shape.js';
import type { KernelContext } from '../op.js';

export interface AxisLayout {
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

export function softmaxLayout(ctx: KernelContext, dims: readonly number[]): AxisLayout {
  const rank = dims.length;
  if (ctx.opset < 13) {
    const axis = normalizeAxis(ctx.attrs.int('axis', 1), Math.max(rank, 1));
    return { outer: shapeSize(dims.slice(0, axis)), n: shapeSize(dims.slice(axis)), inner: 1 };
  }
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), rank);
  return { outer: shapeSize(dims.slice(0, axis)), n: dims[axis], inner: shapeSize(dims.slice(axis + 1)) };
}

/** Calls `row(base, stride)` for every line of `n` elements along the layout's axis. */
export function forEachLine(l: AxisLayout, row: (base: number, stride: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    for (let i = 0; i < l.inner; i++) row(o * l.n * l.inner + i, l.inner);
  }
}
