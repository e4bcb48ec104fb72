/**
 * The 8-bit and 4-bit float formats of ONNX (float8e4m3fn, float8e4m3fnuz, float8e5m2,
 * float8e5m2fnuz, float8e8m0, float4e2m1), kept one code per byte in memory.
 */
import type { DataType } from './dtype.js';

export type MinifloatType =
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'float8e8m0'
  | 'float4e2m1';

interface Format {
  readonly exp: number;
  readonly mant: number;
  readonly bias: number;
  readonly signed: boolean;
  /** Code of NaN, or -1 when the format has none. */
  readonly nan: number;
  /** Positive-infinity code, or -1. */
  readonly inf: number;
  /** `fnuz` formats: 0x80 is NaN, there is no negative zero. */
  readonly uz: boolean;
}

const FORMATS: Record<MinifloatType, Format> = {
  float8e4m3fn: { exp: 4, mant: 3, bias: 7, signed: true, nan: 0x7f, inf: -1, uz: false },
  float8e4m3fnuz: { exp: 4, mant: 3, bias: 8, signed: true, nan: 0x80, inf: -1, uz: true },
  float8e5m2: { exp: 5, mant: 2, bias: 15, signed: true, nan: 0x7f, inf: 0x7c, uz: false },
  float8e5m2fnuz: { exp: 5, mant: 2, bias: 16, signed: true, nan: 0x80, inf: -1, uz: true },
  float8e8m0: { exp: 8, mant: 0, bias: 127, signed: false, nan: 0xff, inf: -1, uz: false },
  float4e2m1: { exp: 2, mant: 1, bias: 1, signed: true, nan: -1, inf: -1, uz: false },
};

export function isMinifloat(type: DataType): type is MinifloatType {
  return Object.hasOwn(FORMATS, type);
}

function decodeCode(f: Format, code: number): number {
  if (code === f.nan) return Number.NaN;
  if (f.nan === 0x7f && (code & 0x7f) === 0x7f && f.exp === 4) return Number.NaN;
  const bits = 1 + f.exp + f.mant;
  const signBit = f.signed ? 1 << (bits - 1) : 0;
  const sign = code & signBit ? -1 : 1;
  const e = (code >> f.mant) & ((1 << f.exp) - 1);
  const m = code & ((1 << f.mant) - 1);
  if (f.inf >= 0 && e === (1 << f.exp) - 1) return m === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (f.mant === 0) return 2 ** (e - f.bias);
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.mant);
  return sign * (1 + m / (1 << f.mant)) * 2 ** (e - f.bias);
}

const TABLES = new Map<MinifloatType, Float32Array>();

function table(type: MinifloatType): Float32Array {
  let t = TABLES.get(type);
  if (!t) {
    const f = FORMATS[type];
    const n = 1 << (1 + f.exp + f.mant - (f.signed ? 0 : 1));
    t = new Float32Array(n);
    for (let c = 0; c < n; c++) t[c] = decodeCode(f, c);
    TABLES.set(type, t);
  }
  return t;
}

export function decodeMinifloat(type: DataType, code: number): number {
  return table(type as MinifloatType)[code];
}

/**
 * Nearest representable code, ties to even. With `saturate`, values beyond the largest finite value
 * (and infinities) become the largest finite value; otherwise infinity or NaN, as the format allows.
 */
export function encodeMinifloat(type: DataType, value: number, saturate: boolean): number {
  const f = FORMATS[type as MinifloatType];
  const t = table(type as MinifloatType);
  if (Number.isNaN(value)) return f.nan >= 0 ? f.nan : 0;
  const neg = value < 0 || Object.is(value, -0);
  const a = Math.abs(value);
  const signBit = f.signed ? 1 << (f.exp + f.mant) : 0;
  // Largest finite positive code.
  let maxCode = 0;
  for (let c = 0; c < (signBit || t.length); c++) if (Number.isFinite(t[c]) && t[c] > t[maxCode]) maxCode = c;
  const max = t[maxCode];
  const withSign = (c: number) => (neg && f.signed && !(f.uz && c === 0) ? c | signBit : c);
  if (a === Number.POSITIVE_INFINITY || a > max) {
    if (saturate || (f.inf < 0 && f.nan < 0)) return withSign(maxCode);
    if (a !== Number.POSITIVE_INFINITY) {
      // Values that round down to max (less than half an ulp above it) still give max.
      const ulp = max - t[maxCode - 1];
      if (a < max + ulp / 2 || (a === max + ulp / 2 && (maxCode & 1) === 0)) return withSign(maxCode);
    }
    return f.inf >= 0 ? withSign(f.inf) : f.nan;
  }
  // Binary search over the monotonic positive codes 0..maxCode.
  let lo = 0;
  let hi = maxCode;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= a) lo = mid;
    else hi = mid;
  }
  let code: number;
  if (t[hi] === a) code = hi;
  else if (t[lo] === a) code = lo;
  else {
    const dl = a - t[lo];
    const dh = t[hi] - a;
    code = dl < dh ? lo : dh < dl ? hi : (lo & 1) === 0 ? lo : hi;
  }
  return withSign(code);
}
