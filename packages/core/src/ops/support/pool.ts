/**
 * Generic N-d pooling loop: for every (batch, channel, output position) it visits the window's
 * in-bounds input positions. MaxPool, AveragePool and LpPool supply the reduction.
 */
import type { Dim } from '../../graph/graph.js';
import { asNumbers } from '../../tensor/convert.js';
import { isFloat } from '../../tensor/dtype.js';
import { formatShape, shapeSize, stridesOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check, type InferContext, input, type KernelContext, type ValueMeta } from '../op.js';
import { knownDims } from './infer.js';
import { accumulatorFor, tensorFromValues } from './nn-numeric.js';
import { type WindowGeometry, windowGeometry } from './window.js';

export function poolGeometry(attrs: Attributes, dims: readonly number[]): WindowGeometry {
  return windowGeometry(attrs, dims.slice(2), attrs.ints('kernel_shape'), {
    ceilMode: attrs.int('ceil_mode', 0) === 1,
  });
}

export function inferPool(ctx: InferContext, outputs = 1): ValueMeta[] {
  const x = ctx.inputs[0];
  const d = knownDims(x?.dims);
  let dims: Dim[] | undefined;
  if (d) dims = [d[0], d[1], ...poolGeometry(ctx.attrs, d).out];
  else if (x?.dims) dims = [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => null)];
  const metas: ValueMeta[] = [{ type: x?.type, dims }];
  if (outputs > 1) metas.push({ type: 'int64', dims });
  return metas;
}

/**
 * Visits each output element. `visit(outIndex, planeOffset, taps)` receives the flat input indices
 * (within the channel plane) of the window's in-bounds taps and the count of taps the window would
 * have including padding.
 */
export function forEachWindow(
  dims: readonly number[],
  g: WindowGeometry,
  visit: (outIndex: number, planeOffset: number, taps: readonly number[], paddedCount: number) => void,
): void {
  const [n, c] = dims;
  const sp = dims.slice(2);
  const r = sp.length;
  const xStr = stridesOf(sp);
  const oStr = stridesOf(g.out);
  const kStr = stridesOf(g.kernel);
  const oPlane = shapeSize(g.out);
  const xPlane = shapeSize(sp);
  const kSize = shapeSize(g.kernel);
  const taps: number[] = [];
  // For each output position, the window may extend into padding; count taps inside the padded extent.
  for (let op = 0; op < oPlane; op++) {
    taps.length = 0;
    let padded = 0;
    for (let k = 0; k < kSize; k++) {
      let off = 0;
      let inside = true;
      let inPadded = true;
      for (let d = 0; d < r; d++) {
        const o = Math.floor(op / oStr[d]) % g.out[d];
        const kk = Math.floor(k / kStr[d]) % g.kernel[d];
        const p = o * g.strides[d] - g.padsBegin[d] + kk * g.dilations[d];
        if (p < 0 || p >= sp[d]) inside = false;
        if (p < -g.padsBegin[d] || p >= sp[d] + g.padsEnd[d]) inPadded = false;
        off += p * xStr[d];
      }
      if (inPadded) padded++;
      if (inside) taps.push(off);
    }
    for (let b = 0; b < n * c; b++) visit(b * oPlane + op, b * xPlane, taps, padded);
  }
}

/** Pooling operators take a float (N, C, spatial...) input with at least one spatial axis. */
function checkPoolInput(x: Tensor): void {
  check(
    x.dims.length >= 3 && isFloat(x.type),
    () => `expected a float tensor of rank >= 3, got ${x.type} ${formatShape(x.dims)}`,
  );
}

/** [N, C, 1, ..., 1]: the output shape of the global pooling operators. */
function globalPoolDims<D extends Dim>(dims: readonly D[]): (D | 1)[] {
  return [dims[0], dims[1], ...dims.slice(2).map(() => 1 as const)];
}

export function inferGlobalPool(ctx: InferContext): ValueMeta[] {
  const x = ctx.inputs[0];
  return [{ type: x?.type, dims: x?.dims && globalPoolDims(x.dims) }];
}

/** Global pooling: `reduce(values, start, count)` over each (batch, channel) plane. */
export function runGlobalPool(
  x: Tensor,
  reduce: (v: ArrayLike<number>, start: number, count: number) => number,
): Tensor {
  checkPoolInput(x);
  const v = asNumbers(x);
  const plane = shapeSize(x.dims.slice(2));
  const planes = x.dims[0] * x.dims[1];
  const out = accumulatorFor(x.type, planes);
  for (let p = 0; p < planes; p++) out[p] = reduce(v, p * plane, plane);
  return tensorFromValues(x.type, out, globalPoolDims(x.dims));
}

/** Windowed pooling whose result depends on the in-bounds taps and the padded window size. */
export function runWindowPool(
  ctx: KernelContext,
  reduce: (v: ArrayLike<number>, base: number, taps: readonly number[], paddedCount: number) => number,
): Tensor {
  const x = input(ctx, 0);
  checkPoolInput(x);
  const g = poolGeometry(ctx.attrs, x.dims);
  const outDims = [x.dims[0], x.dims[1], ...g.out];
  const v = asNumbers(x);
  const out = accumulatorFor(x.type, shapeSize(outDims));
  forEachWindow(x.dims, g, (o, base, taps, padded) => {
    out[o] = reduce(v, base, taps, padded);
  });
  return tensorFromValues(x.type, out, outDims);
}
