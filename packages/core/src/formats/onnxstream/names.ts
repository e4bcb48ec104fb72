/**
 * OnnxStream's tensor-name escaping (`get_final_name` in onnx2txt): [A-Za-z0-9] stay, every other
 * character becomes `_` + uppercase hex code point + `_`. Op (node) names are not escaped.
 */

export function escapeName(name: string): string {
  let out = '';
  for (const ch of name) {
    out += /^[A-Za-z0-9]$/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16).toUpperCase()}_`;
  }
  return out;
}

/** Reverses escapeName (`_<hex>_` -> character). */
export function unescapeName(name: string): string {
  return name.replace(/_([0-9A-Fa-f]+)_/g, (_, hex: string) =>
    String.fromCodePoint(Number.parseInt(hex, 16)),
  );
}
