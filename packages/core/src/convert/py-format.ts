/**
 * Python's text forms of numbers, as onnx2txt prints them: `str(float)` for FLOAT attributes and
 * `uint8[scale,zero]` scales, `str(x)` of `.tolist()` items for one-element TENSOR attributes.
 */

/**
 * `repr(float)` / `str(float)` of Python 3: the shortest digits that round-trip (the same digits as
 * JavaScript's Number#toString), in positional notation when the decimal exponent is in [-4, 16),
 * else in scientific notation with a signed exponent of at least two digits; integral values keep a
 * trailing `.0`. Examples: 1 -> `1.0`, 1e-5 -> `1e-05`, 1e16 -> `1e+16`, 9.999999747378752e-06.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-trip digits.
  const [mant, expText] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  // Python's decpt: value = 0.d1d2... * 10^decpt.
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
}

/** `str(v)` of one `.tolist()` element: Python int, float or bool. */
export function pyScalarStr(v: number | bigint | boolean, kind: 'int' | 'float' | 'bool'): string {
  if (kind === 'bool') return v ? 'True' : 'False';
  if (kind === 'int') return typeof v === 'bigint' ? v.toString() : String(Math.trunc(Number(v)));
  return pyFloatRepr(Number(v));
}
