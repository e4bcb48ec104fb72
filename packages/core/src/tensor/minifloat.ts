/**
 * The 8-bit and 4-bit float formats of ONNX (float8e4m3fn, float8e4m3fnuz, float8e5m2,
 * float8e5m2fnuz, float8e8m0, float4e2m1), kept one code per byte in memory. Encoding follows
 * ml_dtypes, which the ONNX reference implementation (and so the conformance data) uses.
 */
import type { DataType } from './dtype.js';

export type MinifloatType =
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'float8e8m0'
  | 'float4e2m1';

/** Cast's `round_mode` for float8e8m0: to the next power of two up, down, or the nearest one. */
export type E8M0RoundMode = 'up' | 'down' | 'nearest';

/** Formats with a sign bit, an exponent and a mantissa (everything but float8e8m0). */
interface SignedFormat {
  readonly mant: number;
  readonly bias: number;
  readonly signBit: number;
  /** Largest finite magnitude code. */
  readonly maxCode: number;
  /** Code written for a NaN input. */
  readonly nanCode: number;
  /** What a non-saturating overflow gives: infinity, NaN, or (formats with neither) the largest value. */
  readonly overflow: 'inf' | 'nan' | 'saturate';
  /** fnuz formats: no negative zero (0x80 is their NaN). */
  readonly unsignedZero: boolean;
  /** Decoding of the codes that are not plain numbers (NaN, infinity), or undefined. */
  readonly special: (code: number) => number | undefined;
}

/** The fnuz 8-bit formats: no infinities, no negative zero, and the negative-zero code 0x80 is NaN. */
function fnuz(mant: number, bias: number): SignedFormat {
  return {
    mant,
    bias,
    signBit: 0x80,
    maxCode: 0x7f,
    nanCode: 0x80,
    overflow: 'nan',
    unsignedZero: true,
    special: (c) => (c === 0x80 ? Number.NaN : undefined),
  };
}

const SIGNED: Record<Exclude<MinifloatType, 'float8e8m0'>, SignedFormat> = {
  float8e4m3fn: {
    mant: 3,
    bias: 7,
    signBit: 0x80,
    maxCode: 0x7e,
    nanCode: 0x7f,
    overflow: 'nan',
    unsignedZero: false,
    special: (c) => ((c & 0x7f) === 0x7f ? Number.NaN : undefined),
  },
  float8e4m3fnuz: fnuz(3, 8),
  float8e5m2: {
    mant: 2,
    bias: 15,
    signBit: 0x80,
    maxCode: 0x7b,
    nanCode: 0x7e,
    overflow: 'inf',
    unsignedZero: false,
    special: (c) => {
      const m = c & 0x7f;
      if (m < 0x7c) return undefined;
      return m === 0x7c ? (c & 0x80 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY) : Number.NaN;
    },
  },
  float8e5m2fnuz: fnuz(2, 16),
  // No NaN: ml_dtypes turns NaN into the negative-zero code.
  float4e2m1: {
    mant: 1,
    bias: 1,
    signBit: 0x8,
    maxCode: 0x7,
    nanCode: 0x8,
    overflow: 'saturate',
    unsignedZero: false,
    special: () => undefined,
  },
};

export function isMinifloat(type: DataType): type is MinifloatType {
  return type === 'float8e8m0' || Object.hasOwn(SIGNED, type);
}

function decodeSigned(f: SignedFormat, code: number): number {
  const s = f.special(code);
  if (s !== undefined) return s;
  const sign = code & f.signBit ? -1 : 1;
  const mag = code & (f.signBit - 1);
  const e = mag >> f.mant;
  const m = mag & ((1 << f.mant) - 1);
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.mant);
  return sign * (1 + m / (1 << f.mant)) * 2 ** (e - f.bias);
}

const TABLES = new Map<MinifloatType, Float32Array>();

/** Code -> value table of a format (256 entries for 8-bit formats, 16 for float4e2m1). */
export function minifloatTable(type: MinifloatType): Float32Array {
  let t = TABLES.get(type);
  if (!t) {
    if (type === 'float8e8m0') {
      t = new Float32Array(256);
      for (let c = 0; c < 255; c++) t[c] = 2 ** (c - 127);
      t[255] = Number.NaN;
    } else {
      const f = SIGNED[type];
      t = new Float32Array(f.signBit << 1);
      for (let c = 0; c < t.length; c++) t[c] = decodeSigned(f, c);
    }
    TABLES.set(type, t);
  }
  return t;
}

export function decodeMinifloat(type: DataType, code: number): number {
  return minifloatTable(type as MinifloatType)[code];
}

/** Round half to even of a non-negative number. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** floor(log2(a)) for a finite a > 0, exact (Math.log2 may be off by one near powers of two). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * Magnitude code of the finite a >= 0 rounded (ties to even) to `mant` fraction bits with the
 * given bias, subnormals included. May exceed the format's largest code: the caller handles overflow.
 */
function roundMagnitude(a: number, mant: number, bias: number): number {
  const emin = 1 - bias;
  const e = a === 0 ? emin : Math.max(emin, exponentOf(a));
  // Scaling by a power of two is exact, so the only rounding is roundHalfEven's.
  return ((e - emin) << mant) + roundHalfEven(a * 2 ** (mant - e));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * float8e8m0 (a bare biased exponent) from the float32 bits of `value`, as ONNX's Cast defines it:
 * the sign is ignored, NaN and infinities give 0xFF, and `saturate` stops rounding up at 0xFE.
 */
function encodeE8M0(value: number, saturate: boolean, roundMode: E8M0RoundMode): number {
  f32[0] = value;
  const bits = u32[0];
  let exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) return 0xff;
  let up = false;
  if (roundMode === 'up') up = (bits & 0x7fffff) !== 0;
  else if (roundMode === 'nearest') {
    // ONNX's rule: round up above the midpoint, and at it too unless the exponent field is 0.
    up = (bits & 0x400000) !== 0 && ((bits & 0x200000) !== 0 || (bits & 0x1fffff) !== 0 || exp > 0);
  }
  if (up && !(saturate && exp === 0xfe)) exp++;
  return exp;
}

/**
 * Nearest code of `value`, ties to even. With `saturate`, values beyond the largest finite value
 * (and infinities) become the largest finite value; otherwise infinity or NaN, as the format allows
 * (float4e2m1, which has neither, always saturates). `roundMode` applies to float8e8m0 only.
 */
export function encodeMinifloat(
  type: DataType,
  value: number,
  saturate = true,
  roundMode: E8M0RoundMode = 'up',
): number {
  if (type === 'float8e8m0') return encodeE8M0(value, saturate, roundMode);
  const f = SIGNED[type as Exclude<MinifloatType, 'float8e8m0'>];
  if (Number.isNaN(value)) return f.nanCode;
  const neg = value < 0 || Object.is(value, -0);
  const a = Math.abs(value);
  let mag = a === Number.POSITIVE_INFINITY ? f.maxCode + 1 : roundMagnitude(a, f.mant, f.bias);
  if (mag > f.maxCode) {
    if (saturate || f.overflow === 'saturate') mag = f.maxCode;
    else if (f.overflow === 'inf') mag = f.maxCode + 1;
    else return f.unsignedZero || !neg ? f.nanCode : f.nanCode | f.signBit;
  }
  return neg && !(f.unsignedZero && mag === 0) ? mag | f.signBit : mag;
}
