import { readFileSync } from 'node:fs';
import { testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, parsePromptAttention, promptToChunks, tokenizeWeighted } from '../src/index.js';

const dir = testdata('clip');
const tok = ClipTokenizer.fromVocabJson(
  readFileSync(`${dir}/vocab.json`, 'utf8'),
  readFileSync(`${dir}/merges.txt`, 'utf8'),
);
const pairs = (s: string, o?: Parameters<typeof parsePromptAttention>[1]) =>
  parsePromptAttention(s, o).map((r) => [r.text, r.weight]);

describe('parsePromptAttention (A1111 syntax)', () => {
  it('leaves plain text at weight 1', () => {
    expect(pairs('normal text')).toEqual([['normal text', 1]]);
    expect(pairs('')).toEqual([['', 1]]);
  });

  it('(x) multiplies by 1.1, [x] divides by 1.1, nesting multiplies', () => {
    expect(pairs('an (important) word')).toEqual([
      ['an ', 1],
      ['important', 1.1],
      [' word', 1],
    ]);
    expect(pairs('((a))')).toEqual([['a', 1.1 * 1.1]]);
    expect(pairs('[a]')).toEqual([['a', 1 / 1.1]]);
    expect(pairs('([a])')).toEqual([['a', (1 / 1.1) * 1.1]]);
  });

  it('(x:w) uses the explicit factor and still nests', () => {
    expect(pairs('(cat:1.3)')).toEqual([['cat', 1.3]]);
    expect(pairs('((cat:1.5))')).toEqual([['cat', 1.5 * 1.1]]);
    expect(pairs('(cat: 0.5 ) dog')).toEqual([
      ['cat', 0.5],
      [' dog', 1],
    ]);
  });

  it('unclosed brackets extend to the end; unmatched closers are literal', () => {
    expect(pairs('(unbalanced')).toEqual([['unbalanced', 1.1]]);
    expect(pairs('a) b')).toEqual([['a) b', 1]]);
  });

  it('escapes are literal characters', () => {
    expect(pairs('\\(literal\\]')).toEqual([['(literal]', 1]]);
    expect(pairs('a \\\\ b')).toEqual([['a \\ b', 1]]);
  });

  it('merges adjacent runs of equal weight', () => {
    expect(pairs('(unnecessary)(parens)')).toEqual([['unnecessaryparens', 1.1]]);
  });

  it('handles a mixed prompt (derived by hand)', () => {
    // The first "(" never closes, so everything after it gets an extra 1.1 at the end.
    // house: 1.3 * 1.1 (second paren) * 1.1 (unclosed) = 1.573; on: 1/1.1 * 1.1; hill: 0.5 * 1.1;
    // sky: 1.1^3 * 1.1.
    const r = pairs('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).');
    expect(r.map((p) => p[0])).toEqual(['a ', 'house', ' ', 'on', ' a ', 'hill', ', sun, ', 'sky', '.']);
    const w = r.map((p) => p[1] as number);
    const expected = [1, 1.3 * 1.1 * 1.1, 1.1, (1 / 1.1) * 1.1, 1.1, 0.5 * 1.1, 1.1, 1.1 ** 4, 1.1];
    w.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 12);
    });
  });

  it('BREAK separates runs', () => {
    expect(pairs('a BREAK b')).toEqual([
      ['a', 1],
      ['BREAK', -1],
      ['b', 1],
    ]);
  });

  it("OnnxStream syntax: only () and [], ':' and '\\' are text", () => {
    expect(pairs('(cat:1.3)', { syntax: 'onnxstream' })).toEqual([['cat:1.3', 1.1]]);
    expect(pairs('a [b] c)', { syntax: 'onnxstream' })).toEqual([
      ['a ', 1],
      ['b', 1 / 1.1],
      [' c)', 1],
    ]);
  });
});

describe('tokenizeWeighted / promptToChunks', () => {
  it('gives every token the weight of its run', () => {
    const r = tokenizeWeighted(tok, 'a (red:1.5) cat');
    expect(r.ids).toEqual([320, tok.tokenToId('red</w>'), 2368]);
    expect(r.weights).toEqual([1, 1.5, 1]);
  });

  it('wraps a short prompt as [BOS, tokens, padding EOS..., EOS] with weight 1 outside the prompt', () => {
    const [c, ...rest] = promptToChunks(tok, 'a [cat]');
    expect(rest).toHaveLength(0);
    expect(c.ids).toHaveLength(77);
    expect(c.ids.slice(0, 4)).toEqual([49406, 320, 2368, 49407]);
    expect(c.ids.slice(3).every((v) => v === 49407)).toBe(true);
    expect(c.weights.slice(0, 4)).toEqual([1, 1, 1 / 1.1, 1]);
    expect(c.weights.slice(3).every((v) => v === 1)).toBe(true);
  });

  it('pads with 0 when asked (OpenCLIP style)', () => {
    const [c] = promptToChunks(tok, 'cat', { padId: 0 });
    expect(c.ids.slice(0, 5)).toEqual([49406, 2368, 0, 0, 0]);
    expect(c.ids[76]).toBe(49407);
  });

  it('splits long prompts into 75-token chunks and keeps all of them', () => {
    // 100 x "cat" = 100 tokens, no commas: 75 + 25.
    const chunks = promptToChunks(tok, 'cat '.repeat(100));
    expect(chunks).toHaveLength(2);
    expect(chunks[0].ids.slice(1, 76).every((v) => v === 2368)).toBe(true);
    expect(chunks[0].ids[76]).toBe(49407);
    expect(chunks[1].ids.slice(1, 26).every((v) => v === 2368)).toBe(true);
    expect(chunks[1].ids.slice(26).every((v) => v === 49407)).toBe(true);
  });

  it('moves the tail after a recent comma to the next chunk', () => {
    // 70 cats, a comma (token 71), then 10 dogs. When token 76 arrives the chunk holds 75 tokens and the
    // comma is 75 - 70 = 5 <= 20 tokens back: tokens after the comma (4 dogs) move to chunk 2.
    const prompt = 'cat '.repeat(70) + ', ' + 'dog '.repeat(10);
    const chunks = promptToChunks(tok, prompt);
    expect(chunks).toHaveLength(2);
    const [a, b] = chunks;
    expect(a.ids.slice(1, 71).every((v) => v === 2368)).toBe(true);
    expect(a.ids[71]).toBe(267);
    expect(a.ids.slice(72).every((v) => v === 49407)).toBe(true);
    expect(b.ids.slice(1, 11).every((v) => v === 1929)).toBe(true);
    expect(b.ids[11]).toBe(49407);
  });

  it('does not backtrack when the comma is more than 20 tokens back', () => {
    const prompt = 'cat '.repeat(50) + ', ' + 'dog '.repeat(30);
    const [a, b] = promptToChunks(tok, prompt);
    expect(a.ids.slice(52, 76).every((v) => v === 1929)).toBe(true); // 24 dogs fill chunk 1
    expect(b.ids.slice(1, 7).every((v) => v === 1929)).toBe(true); // the other 6
    expect(b.ids[7]).toBe(49407);
  });

  it('BREAK starts a new chunk', () => {
    const chunks = promptToChunks(tok, 'cat BREAK dog');
    expect(chunks.map((c) => c.ids.slice(0, 3))).toEqual([
      [49406, 2368, 49407],
      [49406, 1929, 49407],
    ]);
  });
});
