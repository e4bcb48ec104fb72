/**
 * The reversible byte <-> unicode mapping of GPT-2/CLIP byte-level BPE (`bytes_to_unicode`): printable
 * bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves, the other 68 bytes to U+0100 onwards, in
 * byte order. Vocabulary and merge files are written in this alphabet (e.g. 'é' = bytes C3 A9 = "Ã©").
 */

function build(): { encoder: string[]; decoder: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const encoder = new Array<string>(256);
  const decoder = new Map<string, number>();
  bs.forEach((b, i) => {
    encoder[b] = String.fromCharCode(cs[i]);
    decoder.set(encoder[b], b);
  });
  return { encoder, decoder };
}

const { encoder: BYTE_ENCODER, decoder: BYTE_DECODER } = build();

/** The character standing for byte `b` (0..255). */
export function byteToUnicode(b: number): string {
  return BYTE_ENCODER[b];
}

/** Maps UTF-8 bytes to their byte-level characters. */
export function bytesToUnicodeString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_ENCODER[b];
  return s;
}

/** Inverse of {@link bytesToUnicodeString}; characters outside the alphabet are skipped. */
export function unicodeStringToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = BYTE_DECODER.get(ch);
    if (b !== undefined) out.push(b);
  }
  return Uint8Array.from(out);
}
