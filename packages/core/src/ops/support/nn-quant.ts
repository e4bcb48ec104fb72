/**
 * Linear quantisation helpers: scale/zero-point expansion (per tensor, per axis, blocked),
 * round-half-to-even with saturation to the integer and float quantised types, and the
 * zero-point-centred views the integer matrix products and convolutions compute on.
 */
import { asNumbers } from '../../tensor/convert.js';
import type { DataType } from '../../tensor/dtype.js';
import { fromBfloat16, fromHalf, toBfloat16, toHalf } from '../../tensor/float16.js';
import { encodeMinifloat, isMinifloat } from '../../tensor/minifloat.js';
import { formatShape, shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check } from '../op.js';
import { broadcastN } from './elementwise.js';
import { broadcastsTo } from './infer.js';

/** Integer ranges of the quantised integer types. */
const INT_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint4: [0, 15],
  int4: [-8, 7],
  uint2: [0, 3],
  int2: [-2, 1],
};

/** Round half to even (numpy rint). */
export function rint(x: number): number {
  const r = Math.round(x);
  // Math.round rounds halves up; move exact .5 cases that landed on an odd number back down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Rounds a number to the precision of a float type (the result of one operation in that type). */
export function roundTo(type: DataType, v: number): number {
  switch (type) {
    case 'float32':
      return Math.fround(v);
    case 'float16':
      return fromHalf(toHalf(v));
    case 'bfloat16':
      return fromBfloat16(toBfloat16(v));
    default:
      return v;
  }
}

/**
 * Stores `values` (already divided by the scale) as quantised `type`: integers are rounded half to
 * even, shifted by the zero point and saturated; float8/float4 codes round to nearest even
 * (saturating when `saturate`, float4e2m1 always), with the zero point added first for float4e2m1.
 */
export function quantizeValues(
  type: DataType,
  values: ArrayLike<number>,
  zeroPoints: ArrayLike<number> | undefined,
  saturate: boolean,
): Uint8Array | Int8Array | Uint16Array | Int16Array {
  const n = values.length;
  const range = INT_RANGES[type];
  if (range) {
    const [lo, hi] = range;
    const out = integerArray(type, n);
    for (let i = 0; i < n; i++) {
      const q = rint(values[i]) + (zeroPoints ? zeroPoints[i] : 0);
      out[i] = q < lo ? lo : q > hi ? hi : Number.isNaN(q) ? 0 : q;
    }
    return out;
  }
  check(isMinifloat(type), () => `${type} is not a quantised type`);
  const out = new Uint8Array(n);
  const addZero = type === 'float4e2m1' && zeroPoints;
  for (let i = 0; i < n; i++) {
    out[i] = encodeMinifloat(
      type,
      addZero ? values[i] + zeroPoints[i] : values[i],
      saturate || type === 'float4e2m1',
    );
  }
  return out;
}

function integerArray(type: DataType, n: number): Uint8Array | Int8Array | Uint16Array | Int16Array {
  switch (type) {
    case 'int8':
    case 'int4':
    case 'int2':
      return new Int8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int16':
      return new Int16Array(n);
    default:
      return new Uint8Array(n);
  }
}

/**
 * The value of a scale or zero point for every element of a tensor with dims `dims`:
 * one value (per tensor), a 1-D vector along `axis` (per axis), a same-rank tensor with `block`
 * consecutive elements per value along `axis` (blocked), or any numpy-broadcastable shape.
 */
export function expandParam(p: Tensor, dims: readonly number[], axis: number, block = 0): Float64Array {
  const size = shapeSize(dims);
  const v = asNumbers(p);
  const out = new Float64Array(size);
  if (p.size === 1) return out.fill(v[0]);
  const rank = dims.length;
  const outer = shapeSize(dims.slice(0, axis));
  const n = dims[axis];
  const inner = shapeSize(dims.slice(axis + 1));
  if (block > 0) {
    const pn = Math.ceil(n / block);
    check(
      p.dims.length === rank && p.dims.every((d, i) => (i === axis ? d === pn : d === dims[i])),
      () =>
        `blocked parameter shape ${formatShape(p.dims)} does not match input ${formatShape(dims)} with block_size ${block} on axis ${axis}`,
    );
    for (let o = 0, i = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const row = (o * pn + Math.floor(j / block)) * inner;
        for (let k = 0; k < inner; k++) out[i++] = v[row + k];
      }
    }
    return out;
  }
  if (p.dims.length === 1) {
    check(
      p.size === n,
      () => `parameter of ${p.size} values does not match axis ${axis} of ${formatShape(dims)}`,
    );
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) out.fill(v[j], (o * n + j) * inner, (o * n + j + 1) * inner);
    }
    return out;
  }
  check(
    broadcastsTo(p.dims, dims),
    () => `parameter shape ${formatShape(p.dims)} does not broadcast to ${formatShape(dims)}`,
  );
  broadcastN([{ data: v, dims: p.dims }], out, dims, (vals) => vals[0]);
  return out;
}

/** y = values quantised to y_zero_point's type (`fallback` without one), its zero point laid along `axis`. */
export function quantizedOutput(
  values: ArrayLike<number>,
  dims: readonly number[],
  yZero: Tensor | undefined,
  fallback: DataType,
  axis: number,
): Tensor {
  const type = yZero?.type ?? fallback;
  const zp = yZero && expandParam(yZero, dims, axis);
  return new Tensor(type, quantizeValues(type, values, zp, true) as never, dims);
}

/** The integer products (MatMulInteger, ConvInteger and their QLinear forms) take 8-bit operands. */
export function checkInt8Operands(...operands: Tensor[]): void {
  for (const t of operands)
    check(t.type === 'uint8' || t.type === 'int8', () => `type ${t.type} is not supported`);
}

/** x - zeroPoint, with a 1-D zero point of several values laid along `axis` (per row / per channel). */
export function centered(x: Tensor, zeroPoint: Tensor | undefined, axis: number): ArrayLike<number> {
  const v = asNumbers(x);
  if (!zeroPoint) return v;
  check(
    zeroPoint.type === x.type,
    () => `zero point type ${zeroPoint.type} differs from input type ${x.type}`,
  );
  const zp = expandParam(zeroPoint, x.dims, Math.max(axis, 0));
  for (let i = 0; i < zp.length; i++) zp[i] = v[i] - zp[i];
  return zp;
}
