/**
 * Dynamic uint8 storage of activations (OnnxStream's uint8 qdq and forced uint8 storage): a tensor
 * that waits several operators for its readers is kept as uint8 with a per-tensor asymmetric scale
 * and zero point taken from its 0.1 % / 99.9 % percentiles, and dequantised right before each read.
 */
import { asNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, input, type OpDef } from '../op.js';
import { tensorFromValues } from '../support/nn-numeric.js';

/** Share of values clipped at each end of the range. */
export const STORAGE_PERCENTILE = 0.001;
const BINS = 4096;

/**
 * The [low, high] range holding all but `share` of the values at each end, from a histogram of
 * BINS bins over [min, max] (exact to one bin width, linear in the tensor size). Always includes 0,
 * so zero stays exactly representable (padding, ReLU outputs).
 */
export function percentileRange(values: ArrayLike<number>, share = STORAGE_PERCENTILE): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    n++;
  }
  if (n === 0) return [0, 0];
  let low = min;
  let high = max;
  const skip = Math.floor(n * share);
  if (skip > 0 && max > min) {
    const counts = new Float64Array(BINS);
    const width = (max - min) / BINS;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) counts[Math.min(BINS - 1, Math.floor((v - min) / width))]++;
    }
    let seen = 0;
    let b = 0;
    while (b < BINS - 1 && seen + counts[b] <= skip) seen += counts[b++];
    low = min + b * width;
    seen = 0;
    b = BINS - 1;
    while (b > 0 && seen + counts[b] <= skip) seen += counts[b--];
    high = min + (b + 1) * width;
  }
  return [Math.min(low, 0), Math.max(high, 0)];
}

export const StoreUint8: OpDef = {
  type: 'StoreUint8',
  domain: 'com.onnxstream',
  infer: (ctx) => [{ type: 'uint8', dims: ctx.inputs[0]?.dims }],
  run(ctx) {
    const x = input(ctx, 0);
    check(
      x.type === 'float32' || x.type === 'float16',
      () => `type ${x.type} is not supported (float32 or float16)`,
    );
    const values = asNumbers(x);
    // A static range (uint8 arithmetic, from range_data.txt) or the tensor's own percentiles.
    const fixed = ctx.attrs.has('min')
      ? ([ctx.attrs.float('min', 0), ctx.attrs.float('max', 0)] as const)
      : undefined;
    const [low, high] = fixed ? [Math.min(fixed[0], 0), Math.max(fixed[1], 0)] : percentileRange(values);
    const scale = high > low ? (high - low) / 255 : 1;
    const zeroPoint = Math.min(255, Math.max(0, Math.round(-low / scale)));
    const q = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Math.round(values[i] / scale) + zeroPoint;
      // NaN stores as the zero point.
      q[i] = v >= 255 ? 255 : v > 0 ? v : 0;
    }
    return [new Tensor('uint8', q, x.dims, { scale, zeroPoint })];
  },
};

export const LoadUint8: OpDef = {
  type: 'LoadUint8',
  domain: 'com.onnxstream',
  infer: (ctx) => [
    { type: ctx.attrs.int('to', 1) === 10 ? 'float16' : 'float32', dims: ctx.inputs[0]?.dims },
  ],
  run(ctx) {
    const q = input(ctx, 0);
    check(q.type === 'uint8' && q.quant !== undefined, 'input must be a quantised uint8 tensor');
    const { scale, zeroPoint } = q.quant;
    const data = q.data as Uint8Array;
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = (data[i] - zeroPoint) * scale;
    const to = ctx.attrs.int('to', 1) === 10 ? 'float16' : 'float32';
    return [tensorFromValues(to, out, q.dims)];
  },
};
