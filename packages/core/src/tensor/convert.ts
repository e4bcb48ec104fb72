/**
 * Element conversions between tensors and plain JavaScript numbers, for the reference kernels.
 */
import { allocData, type DataType, type DataTypeMap, DTYPES, isBig, isFloat } from './dtype.js';
import { fromBfloat16, fromHalf, halfToFloat32, toBfloat16, toHalf } from './float16.js';
import {
  decodeMinifloat,
  type E8M0RoundMode,
  encodeMinifloat,
  isMinifloat,
  minifloatTable,
} from './minifloat.js';
import { Tensor } from './tensor.js';

/**
 * The elements of a numeric or bool tensor as numbers. No copy for float32/float64 and the
 * 8/16/32-bit integer types; float16, bfloat16, the 8/4-bit floats and int64/uint64 are converted
 * (int64 beyond 2^53 loses precision: use `t.data` directly where that matters).
 */
export function asNumbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  switch (t.type) {
    case 'float16':
      return halfToFloat32(d as Uint16Array);
    case 'bfloat16':
      return Float32Array.from(d as Uint16Array, fromBfloat16);
    case 'int64':
    case 'uint64':
      return Float64Array.from(d as BigInt64Array, Number);
    case 'string':
      throw new TypeError('string tensor has no numeric value');
    default:
      if (isMinifloat(t.type)) {
        const table = minifloatTable(t.type);
        const codes = d as Uint8Array;
        const out = new Float32Array(codes.length);
        for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]];
        return out;
      }
      return d as ArrayLike<number>;
  }
}

/** asNumbers, as float32 (for kernels that compute in float32). */
export function asFloat32(t: Tensor): Float32Array {
  const v = asNumbers(t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** Builds a tensor of `type` from numbers (rounding/wrapping as a typed-array store does; bool = non-zero). */
export function fromNumbers<D extends DataType>(
  type: D,
  values: ArrayLike<number>,
  dims: readonly number[],
): Tensor<D> {
  return new Tensor<D>(type, encodeNumbers(type, values) as never, dims);
}

/** How values that do not fit a float8 format are converted (Cast's `saturate` and `round_mode`). */
export interface EncodeOptions {
  /** Out-of-range values become the largest finite value (default) instead of infinity/NaN. */
  readonly saturate?: boolean;
  /** Rounding to float8e8m0 (default 'up'). */
  readonly roundMode?: E8M0RoundMode;
}

/**
 * Numbers as the data of a `type` tensor: floats round to nearest even, integers truncate toward
 * zero and wrap to their width (4- and 2-bit types too), NaN and infinities become 0 in integer
 * types, bool is `value !== 0` (so NaN is true, as in C and numpy).
 */
export function encodeNumbers<D extends DataType>(
  type: D,
  values: ArrayLike<number>,
  options: EncodeOptions = {},
): DataTypeMap[D] {
  const n = values.length;
  const out = allocData(type, n);
  switch (type) {
    case 'float16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = toHalf(values[i]);
      break;
    }
    case 'bfloat16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = toBfloat16(values[i]);
      break;
    }
    case 'int64':
    case 'uint64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        o[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
      }
      break;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = values[i] !== 0 ? 1 : 0;
      break;
    }
    case 'string':
      throw new TypeError('cannot encode numbers as strings');
    case 'int4':
    case 'uint4':
    case 'int2':
    case 'uint2': {
      const o = out as Int8Array;
      const bits = DTYPES[type].bits;
      const mask = (1 << bits) - 1;
      // Sign-extends the low bits for the signed types (x ^ half) - half.
      const half = type === 'int4' || type === 'int2' ? 1 << (bits - 1) : 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        o[i] = Number.isFinite(v) ? ((Math.trunc(v) & mask) ^ half) - half : 0;
      }
      break;
    }
    default:
      if (isMinifloat(type)) {
        const o = out as Uint8Array;
        const saturate = options.saturate ?? true;
        const roundMode = options.roundMode ?? 'up';
        for (let i = 0; i < n; i++) o[i] = encodeMinifloat(type, values[i], saturate, roundMode);
      } else if (DTYPES[type].kind === 'float') {
        (out as Float32Array).set(values);
      } else {
        const o = out as Int32Array;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          o[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
        }
      }
  }
  return out;
}

/** Integer elements (int32/int64/...) as numbers: shape-like inputs such as Reshape's shape or Slice's starts. */
export function asInts(t: Tensor): number[] {
  return Array.from(asNumbers(t), (v) => Math.trunc(v));
}

/** The single element of a scalar or one-element tensor, as a number. */
export function scalarOf(t: Tensor, what = 'value'): number {
  if (t.size !== 1)
    throw new RangeError(`${what} must have exactly one element, has shape [${t.dims.join(',')}]`);
  return asNumbers(t)[0];
}

/**
 * The tensor converted to another element type, as ONNX's Cast does: numbers as `encodeNumbers`
 * converts them (with Cast's float8 options), int64/uint64 exactly (wrapping between widths),
 * strings parsed as numbers and numbers printed as the shortest text that reads back the same value.
 * A cast to the same type shares the data.
 */
export function castTensor(t: Tensor, to: DataType, options: EncodeOptions = {}): Tensor {
  if (t.type === to) return t.reshape(t.dims);
  if (to === 'string') return new Tensor('string', formatElements(t), t.dims);
  if (t.type === 'string')
    return new Tensor(to, parseStrings(t.data as string[], to, options) as never, t.dims);
  if (isBig(t.type)) {
    const src = t.data as BigInt64Array;
    if (isBig(to)) {
      const out = allocData(to, src.length) as BigInt64Array;
      // A BigInt64Array/BigUint64Array store wraps modulo 2^64.
      for (let i = 0; i < src.length; i++) out[i] = src[i];
      return new Tensor(to, out as never, t.dims);
    }
    return new Tensor(to, encodeNumbers(to, bigToNumbers(src, to), options) as never, t.dims);
  }
  return new Tensor(to, encodeNumbers(to, asNumbers(t), options) as never, t.dims);
}

/** int64/uint64 values as numbers for a narrower type: exact low bits for integer targets. */
function bigToNumbers(src: BigInt64Array, to: DataType): Float64Array {
  const out = new Float64Array(src.length);
  const kind = DTYPES[to].kind;
  if (kind === 'bool') for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0n ? 1 : 0;
  else if (kind === 'float') for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  else for (let i = 0; i < src.length; i++) out[i] = Number(BigInt.asIntN(32, src[i]));
  return out;
}

/**
 * A number from Cast's string forms: decimal and scientific notation, and INF, +INF, -INF, NaN
 * (and true, false) in any case.
 */
function parseNumberText(text: string): number {
  const s = text.trim();
  switch (s.toUpperCase()) {
    case 'INF':
    case '+INF':
    case 'INFINITY':
    case '+INFINITY':
      return Number.POSITIVE_INFINITY;
    case '-INF':
    case '-INFINITY':
      return Number.NEGATIVE_INFINITY;
    case 'NAN':
    case '+NAN':
    case '-NAN':
      return Number.NaN;
    case 'TRUE':
      return 1;
    case 'FALSE':
      return 0;
    default:
      return Number(s);
  }
}

function parseStrings(src: readonly string[], to: DataType, options: EncodeOptions): DataTypeMap[DataType] {
  if (isBig(to)) {
    const out = allocData(to, src.length) as BigInt64Array;
    for (let i = 0; i < src.length; i++) {
      const s = src[i].trim();
      // Integer text goes through BigInt so values beyond 2^53 stay exact.
      if (/^[+-]?\d+$/.test(s)) out[i] = BigInt(s);
      else {
        const v = parseNumberText(s);
        out[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
      }
    }
    return out;
  }
  return encodeNumbers(to, Float64Array.from(src, parseNumberText), options);
}

function formatElements(t: Tensor): string[] {
  if (isBig(t.type)) return Array.from(t.data as BigInt64Array, (v) => v.toString());
  const v = asNumbers(t);
  if (!isFloat(t.type)) return Array.from(v, String);
  const same = roundTrip(t.type);
  return Array.from(v, (x) => formatFloat(x, same));
}

/** value -> nearest value of a float type (identity for float64). */
function roundTrip(type: DataType): (v: number) => number {
  switch (type) {
    case 'float32':
      return Math.fround;
    case 'float16':
      return (v) => fromHalf(toHalf(v));
    case 'bfloat16':
      return (v) => fromBfloat16(toBfloat16(v));
    default:
      return isMinifloat(type) ? (v) => decodeMinifloat(type, encodeMinifloat(type, v)) : (v) => v;
  }
}

/** Shortest decimal that converts back to `x` in its type; INF, -INF and NaN as Cast spells them. */
function formatFloat(x: number, same: (v: number) => number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'INF';
  if (x === Number.NEGATIVE_INFINITY) return '-INF';
  if (Object.is(x, -0)) return '-0';
  for (let p = 1; p < 17; p++) {
    const y = Number(x.toPrecision(p));
    if (same(y) === x) return String(y);
  }
  return String(x);
}
