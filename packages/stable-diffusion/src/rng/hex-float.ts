/**
 * Parses a C99 hexadecimal floating-point literal such as `-0x1.57bf7808caadep-2` exactly (JavaScript
 * has no hex-float literals). Used for constants that must be bit-exact.
 */
export function hexFloat(literal: string): number {
  const m = /^([+-])?0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(literal.trim());
  if (!m) throw new Error(`invalid hex float literal: ${literal}`);
  const frac = m[3] ?? '';
  const digits = m[2] + frac;
  if (digits.length > 14) throw new Error(`hex float literal has more than 53 bits: ${literal}`);
  const mantissa = Number.parseInt(digits, 16);
  const value = mantissa * 2 ** (Number(m[4]) - 4 * frac.length);
  return m[1] === '-' ? -value : value;
}
