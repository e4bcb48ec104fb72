/**
 * onnx2txt's `quantize()`: per-tensor asymmetric uint8 with 0.1 % percentile clipping, reproduced
 * operation by operation (Python doubles for the range, NumPy float32 for the array maths, truncation
 * when casting to uint8).
 */
import { pyFloatRepr } from './py-format.js';

export interface Quantized {
  readonly data: Uint8Array;
  /** The token dtype, `uint8[<str(scale)>,<zero>]`. */
  readonly dtype: string;
  readonly scale: number;
  readonly zero: number;
}

/** Whether onnx2txt quantizes input `index` of an `opType` node (biases and norm/resize parameters stay float32). */
export function quantizable(opType: string, index: number): boolean {
  if (opType === 'Conv' && index === 2) return false;
  if (opType === 'InstanceNormalization' && index !== 0) return false;
  if (opType === 'Resize' && index === 2) return false;
  return true;
}

/**
 * Quantizes float32 values, or returns undefined when onnx2txt leaves the tensor float32 (no two
 * finite values, or a constant tensor).
 */
export function quantizeUint8(a: Float32Array, fromLeft = 0.001, fromRight = 0.001): Quantized | undefined {
  let finite = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) finite++;
  if (finite === 1 && a.length === 1) {
    // scale = abs(v); zero = 0 or 2; the stored byte is 1, so (1 - zero) * scale = v.
    const v = a[0];
    const scale = Math.abs(v);
    const zero = v >= 0 ? 0 : 2;
    return { data: Uint8Array.of(1), dtype: `uint8[${pyFloatRepr(scale)},${zero}]`, scale, zero };
  }
  if (finite < 2) return undefined;
  const s = new Float32Array(finite);
  let k = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) s[k++] = a[i];
  s.sort();
  const n = s.length;
  // Python: s[int(len(s) * from_left)] and s[int(len(s) * from_right * -1 - 1)] (negative index).
  let left = s[Math.trunc(n * fromLeft)];
  const ri = Math.trunc(n * fromRight * -1 - 1);
  let right = s[ri < 0 ? n + ri : ri];
  if (left > 0 && right > 0) left = 0;
  else if (left < 0 && right < 0) right = 0;
  if (!(right > left)) return undefined;
  const scale = (right - left) / 255.0;
  let zero = Math.trunc(Math.abs(left) / scale);
  if (zero > 255) zero = 255;
  // NumPy: (a / scale) + zero on a float32 array stays float32 (scalars are cast to float32).
  const scale32 = Math.fround(scale);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const q = Math.fround(Math.fround(a[i] / scale32) + zero);
    // np.clip(..., 0, 255).astype("ubyte"): truncation; NaN casts to 0 on x86.
    out[i] = Number.isNaN(q) ? 0 : q <= 0 ? 0 : q >= 255 ? 255 : Math.trunc(q);
  }
  return { data: out, dtype: `uint8[${pyFloatRepr(scale)},${zero}]`, scale, zero };
}

/** Weights quantised per channel (`onnxstream convert --uint8-per-channel`). */
export interface ChannelQuantized {
  readonly data: Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
}

/**
 * The channel axis of input `index` of an `opType` node's weight of rank `rank` (`transB`: Gemm's
 * attribute), or undefined where it is quantised per tensor: Conv's output channels (axis 0),
 * ConvTranspose's (axis 1), and the output features of MatMul's and Gemm's B.
 */
export function channelAxis(
  opType: string,
  index: number,
  rank: number,
  transB: boolean,
): number | undefined {
  if (rank < 2 || !quantizable(opType, index)) return undefined;
  if (opType === 'Conv' && index === 1) return 0;
  if (opType === 'ConvTranspose' && index === 1) return 1;
  if (opType === 'MatMul' && index === 1) return rank - 1;
  if (opType === 'Gemm' && index === 1) return transB ? 0 : 1;
  return undefined;
}

/**
 * Asymmetric uint8 per channel along `axis` of `dims`: each channel's range is its minimum and
 * maximum widened to hold zero, scale = range / 255, zero point = round(-min / scale), values
 * rounded to nearest (x = clamp(round(v / scale) + zero, 0, 255)). A channel of zeros gets scale 1.
 * Outliers stay inside their channel's range: no percentile clipping (a channel of a few dozen
 * values has no tail to clip).
 */
export function quantizeUint8PerChannel(
  a: Float32Array,
  dims: readonly number[],
  axis: number,
): ChannelQuantized {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const lo = new Float64Array(channels);
  const hi = new Float64Array(channels);
  for (let at = 0, c = 0; at < a.length; at += inner, c = c + 1 === channels ? 0 : c + 1) {
    for (let i = at; i < at + inner; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
  }
  const scales = new Float32Array(channels);
  const zeroPoints = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const range = hi[c] - lo[c];
    scales[c] = range > 0 ? range / 255 : 1;
    zeroPoints[c] = Math.min(255, Math.max(0, Math.round(-lo[c] / scales[c])));
  }
  const data = new Uint8Array(a.length);
  for (let at = 0, c = 0; at < a.length; at += inner, c = c + 1 === channels ? 0 : c + 1) {
    const scale = scales[c];
    const zero = zeroPoints[c];
    for (let i = at; i < at + inner; i++) {
      const q = Math.round(a[i] / scale) + zero;
      data[i] = Number.isNaN(q) ? zero : Math.min(255, Math.max(0, q));
    }
  }
  return { data, scales, zeroPoints };
}
