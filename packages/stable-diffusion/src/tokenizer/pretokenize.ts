/**
 * Text clean-up and pre-tokenisation of the CLIP tokenizer.
 *
 * `'clip'` (Hugging Face / OpenAI behaviour without ftfy): Unicode NFC, every whitespace run to one
 * space, trim, lower-case; then CLIP's pattern
 * `<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`.
 * (OpenAI additionally runs `ftfy.fix_text` and HTML unescaping; those only matter for mojibake and
 * `&amp;`-style entities and are not reproduced.)
 *
 * `'onnxstream'` (OnnxStream's simplified tokenizer, reference section 7.2): no clean-up at all and the
 * ASCII pattern `...|[A-Za-z]+|\d|[^ \t\nA-Za-z\d]` applied to the UTF-8 bytes, one byte per match for
 * anything that is not a letter or digit.
 */

/** Which tokenizer behaviour to follow. */
export type ClipTokenizerMode = 'clip' | 'onnxstream';

const CLIP_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;
const ONNXSTREAM_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[A-Za-z]+|\d|[^ \t\nA-Za-z\d]/g;

/** CLIP's text clean-up: NFC, collapse whitespace, trim, lower-case. */
export function cleanClipText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

/** Splits cleaned text into CLIP's pre-tokens (words, single digits, punctuation runs, specials). */
export function clipPreTokens(text: string): string[] {
  return text.match(CLIP_PATTERN) ?? [];
}

/**
 * OnnxStream's pre-tokens of raw text. The input is a "byte string" (one UTF-8 byte per UTF-16 code
 * unit, as produced by {@link utf8ByteString}); so are the pieces.
 */
export function onnxstreamPreTokens(byteString: string): string[] {
  return byteString.match(ONNXSTREAM_PATTERN) ?? [];
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`, one per character code (latin-1 view), for byte-oriented matching. */
export function utf8ByteString(text: string): string {
  let s = '';
  for (const b of encoder.encode(text)) s += String.fromCharCode(b);
  return s;
}
