/**
 * A bit-exact JavaScript port of the single-precision natural logarithm of glibc >= 2.28 (the
 * table-driven `logf` from Arm's optimized-routines, MIT licensed): a 16-entry table of 1/c and
 * log(c), a degree-3 polynomial, everything evaluated in double precision and rounded once to float.
 * Only `+ - *` and one rounding are involved, so the result is identical on every IEEE-754 JavaScript
 * engine, unlike `Math.log`, whose last bit is implementation-defined.
 *
 * glibc's FMA build (x86-64 with FMA, AArch64) contracts some multiply-adds; its double result then
 * differs in the last bits, which changes the float only when the exact value lies within about 2^-50
 * (relative) of a rounding boundary.
 */
import { hexFloat } from './hex-float.js';

const TABLE: ReadonlyArray<readonly [invc: number, logc: number]> = (
  [
    ['0x1.661ec79f8f3bep+0', '-0x1.57bf7808caadep-2'],
    ['0x1.571ed4aaf883dp+0', '-0x1.2bef0a7c06ddbp-2'],
    ['0x1.49539f0f010bp+0', '-0x1.01eae7f513a67p-2'],
    ['0x1.3c995b0b80385p+0', '-0x1.b31d8a68224e9p-3'],
    ['0x1.30d190c8864a5p+0', '-0x1.6574f0ac07758p-3'],
    ['0x1.25e227b0b8eap+0', '-0x1.1aa2bc79c81p-3'],
    ['0x1.1bb4a4a1a343fp+0', '-0x1.a4e76ce8c0e5ep-4'],
    ['0x1.12358f08ae5bap+0', '-0x1.1973c5a611cccp-4'],
    ['0x1.0953f419900a7p+0', '-0x1.252f438e10c1ep-5'],
    ['0x1p+0', '0x0p+0'],
    ['0x1.e608cfd9a47acp-1', '0x1.aa5aa5df25984p-5'],
    ['0x1.ca4b31f026aap-1', '0x1.c5e53aa362eb4p-4'],
    ['0x1.b2036576afce6p-1', '0x1.526e57720db08p-3'],
    ['0x1.9c2d163a1aa2dp-1', '0x1.bc2860d22477p-3'],
    ['0x1.886e6037841edp-1', '0x1.1058bc8a07ee1p-2'],
    ['0x1.767dcf5534862p-1', '0x1.4043057b6ee09p-2'],
  ] as const
).map(([a, b]) => [hexFloat(a), hexFloat(b)] as const);
const LN2 = hexFloat('0x1.62e42fefa39efp-1');
const A0 = hexFloat('-0x1.00ea348b88334p-2');
const A1 = hexFloat('0x1.5575b0be00b6ap-2');
const A2 = hexFloat('-0x1.ffffef20a4123p-2');
const OFF = 0x3f330000;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * `logf(x)` as glibc computes it: the natural logarithm of the float nearest to `x`, rounded to float.
 * Handles zero (-Infinity), negatives and NaN (NaN), +Infinity and subnormals like glibc.
 */
export function logf(x: number): number {
  f32[0] = x;
  let ix = u32[0];
  if (ix === 0x3f800000) return 0;
  if (ix - 0x00800000 >= 0x7f800000 - 0x00800000 || ix < 0x00800000) {
    // x < 0x1p-126 or inf or nan.
    if ((ix & 0x7fffffff) === 0) return Number.NEGATIVE_INFINITY;
    if (ix === 0x7f800000) return Number.POSITIVE_INFINITY;
    if (ix & 0x80000000 || ix >= 0x7f800000) return Number.NaN;
    // Subnormal: normalise.
    f32[0] = f32[0] * 2 ** 23;
    ix = (u32[0] - (23 << 23)) >>> 0;
  }
  // x = 2^k z, where z is in [OFF, 2*OFF) and exact; log(x) = log1p(z/c - 1) + log(c) + k*Ln2.
  const tmp = (ix - OFF) >>> 0;
  const i = (tmp >>> (23 - 4)) % 16;
  const k = (tmp | 0) >> 23; // arithmetic shift
  const iz = (ix - ((tmp & 0xff800000) >>> 0)) >>> 0;
  u32[0] = iz;
  const z = f32[0];
  const [invc, logc] = TABLE[i];
  const r = z * invc - 1;
  const y0 = logc + k * LN2;
  const r2 = r * r;
  let y = A1 * r + A2;
  y = A0 * r2 + y;
  y = y * r2 + (y0 + r);
  return Math.fround(y);
}
