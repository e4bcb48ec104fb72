/**
 * Dynamic uint8 storage of activations (OnnxStream's uint8 qdq and forced uint8 storage): a tensor
 * that waits several operators for its readers is kept as uint8 with a per-tensor asymmetric scale
 * and zero point taken from its 0.1 % / 99.9 % percentiles, and dequantised right before each read.
 * Static uint8 activations (planner/uint8-arithmetic.ts) use the same two operators with a fixed range.
 * The arithmetic is float32 throughout (scale, quotient, product), so that the kernel backends'
 * quantize_8bit / dequantize_8bit (backend/kernel/ops/uint8-storage.ts) give the same bits.
 */
import { asNumbers } from '../../tensor/convert.js';
import { type Quantization, Tensor } from '../../tensor/tensor.js';
import { check, input, type OpDef } from '../op.js';
import { tensorFromValues } from '../support/nn-numeric.js';
import { rint } from '../support/nn-quant.js';

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

/**
 * The uint8 form of values in [low, high] (widened to hold 0): a float32 scale (so that the kernel
 * backends, which compute in float32, give the same bytes) and the zero point that puts 0 on a level.
 */
export function storageQuantization(low: number, high: number): Quantization {
  const lo = Math.min(low, 0);
  const hi = Math.max(high, 0);
  const s = hi > lo ? Math.fround((hi - lo) / 255) : 1;
  // A range too narrow for a float32 step (or not finite) stores everything at the zero point.
  const scale = s > 0 && Number.isFinite(s) ? s : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/**
 * The quantisation StoreUint8 applies to `x`: the node's static range (`min`/`max` attributes: uint8
 * arithmetic, from range_data.txt) or `values`' own percentiles (dynamic storage).
 */
export function storeQuantization(
  attrs: { has(name: string): boolean; float(name: string, fallback: number): number },
  values: () => ArrayLike<number>,
): Quantization {
  const [low, high] = attrs.has('min')
    ? [attrs.float('min', 0), attrs.float('max', 0)]
    : percentileRange(values());
  return storageQuantization(low, high);
}

/**
 * q = saturate(round_half_even(float32(x / scale)) + zeroPoint), NaN -> 0: the quotient is one
 * float32 division, as the kernel backends' quantize_8bit computes it, so both give the same bytes.
 */
export function quantizeStored(values: ArrayLike<number>, { scale, zeroPoint }: Quantization): Uint8Array {
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = rint(Math.fround(values[i] / scale)) + zeroPoint;
    // NaN stores as 0 (Math.min and Math.max would keep it).
    q[i] = v >= 255 ? 255 : v > 0 ? v : 0;
  }
  return q;
}

/**
 * The quantisation of an operator's output with a StoreUint8 folded into it (planner/fuse-uint8-io.ts:
 * attributes `store_min` and `store_max`, the static range), or undefined when it outputs float.
 */
export function foldedStoreQuantization(attrs: {
  has(name: string): boolean;
  float(name: string, fallback: number): number;
}): Quantization | undefined {
  if (!attrs.has('store_min')) return undefined;
  return storageQuantization(attrs.float('store_min', 0), attrs.float('store_max', 0));
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
    const quant = storeQuantization(ctx.attrs, () => values);
    return [new Tensor('uint8', quantizeStored(values, quant), x.dims, quant)];
  },
};

/** The `to` attribute of LoadUint8 that asks for float16 (ONNX's FLOAT16 code; else float32). */
export const UINT8_STORAGE_ONNX_FLOAT16 = 10;

/** The scale the float32 arithmetic of StoreUint8 / LoadUint8 uses (the quantisation's, in float32). */
export const quantizeStoredScale = (q: Quantization): number => Math.fround(q.scale);

export const LoadUint8: OpDef = {
  type: 'LoadUint8',
  domain: 'com.onnxstream',
  infer: (ctx) => [
    {
      type: ctx.attrs.int('to', 1) === UINT8_STORAGE_ONNX_FLOAT16 ? 'float16' : 'float32',
      dims: ctx.inputs[0]?.dims,
    },
  ],
  run(ctx) {
    const to = ctx.attrs.int('to', 1) === UINT8_STORAGE_ONNX_FLOAT16 ? 'float16' : 'float32';
    const q = input(ctx, 0);
    return [tensorFromValues(to, dequantizeStored(q), q.dims)];
  },
};

/** The float32 values of a quantised uint8 tensor, as LoadUint8 reads them. */
export function dequantizeStored(q: Tensor): Float32Array {
  check(q.type === 'uint8' && q.quant !== undefined, 'input must be a quantised uint8 tensor');
  const { zeroPoint } = q.quant;
  // In float32 (q - zeroPoint is exact), as the kernel backends' dequantize_8bit.
  const scale = quantizeStoredScale(q.quant);
  const data = q.data as Uint8Array;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] - zeroPoint) * scale;
  return out;
}
