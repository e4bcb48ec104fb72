/**
 * Prompt emphasis ("attention") parsing in the AUTOMATIC1111 syntax:
 *
 * - `(text)` multiplies the weight of `text` by 1.1, `[text]` divides it by 1.1; brackets nest and
 *   multiply; unclosed brackets extend to the end of the prompt; unmatched closing brackets stay as literal text;
 * - `(text:1.3)` sets the factor to 1.3 instead of 1.1;
 * - `\(`, `\)`, `\[`, `\]`, `\\` are literal characters;
 * - `BREAK` (upper case, as a word) forces a new 75-token chunk (A1111 only);
 * - adjacent segments of equal weight are merged.
 *
 * `syntax: 'onnxstream'` reproduces OnnxStream's older parser (reference section 7.2): only `()` and
 * `[]`, no `:weight`, no escapes, no BREAK.
 */

/** A run of prompt text and its weight. `BREAK` markers have `text: 'BREAK', weight: -1`. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** Options of {@link parsePromptAttention}. */
export interface PromptAttentionOptions {
  /** `'a1111'` (default) or `'onnxstream'`. */
  syntax?: 'a1111' | 'onnxstream';
}

const ROUND = 1.1;
const SQUARE = 1 / 1.1;
const A1111_TOKEN = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;
const ONNXSTREAM_TOKEN = /[()[\]]|[^()[\]]+/g;
const BREAK = /\s*\bBREAK\b\s*/;

/** Splits a prompt into weighted runs (see the module description for the syntax). */
export function parsePromptAttention(prompt: string, options: PromptAttentionOptions = {}): WeightedText[] {
  const onnxstream = options.syntax === 'onnxstream';
  const res: WeightedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyRange = (start: number, factor: number) => {
    for (let p = start; p < res.length; p++) res[p].weight *= factor;
  };
  const pattern = onnxstream ? ONNXSTREAM_TOKEN : A1111_TOKEN;
  for (const m of prompt.matchAll(pattern)) {
    const text = m[0];
    const weight = onnxstream ? undefined : m[1];
    if (!onnxstream && text.startsWith('\\')) {
      res.push({ text: text.slice(1), weight: 1 });
    } else if (text === '(') {
      round.push(res.length);
    } else if (text === '[') {
      square.push(res.length);
    } else if (weight !== undefined && round.length > 0 && Number.isFinite(Number(weight))) {
      multiplyRange(round.pop()!, Number(weight));
    } else if (text === ')' && round.length > 0) {
      multiplyRange(round.pop()!, ROUND);
    } else if (text === ']' && square.length > 0) {
      multiplyRange(square.pop()!, SQUARE);
    } else if (onnxstream) {
      res.push({ text, weight: 1 });
    } else {
      text.split(BREAK).forEach((part, i) => {
        if (i > 0) res.push({ text: 'BREAK', weight: -1 });
        res.push({ text: part, weight: 1 });
      });
    }
  }
  for (const pos of round) multiplyRange(pos, ROUND);
  for (const pos of square) multiplyRange(pos, SQUARE);
  if (res.length === 0) res.push({ text: '', weight: 1 });
  for (let i = 0; i + 1 < res.length; ) {
    if (res[i].weight === res[i + 1].weight) {
      res[i].text += res[i + 1].text;
      res.splice(i + 1, 1);
    } else {
      i++;
    }
  }
  return res;
}
