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
