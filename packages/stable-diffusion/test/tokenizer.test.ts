import { readFileSync } from 'node:fs';
import { testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import {
  BpeMerges,
  bytesToUnicodeString,
  ClipTokenizer,
  cleanClipText,
  clipPreTokens,
  loadClipTokenizer,
  parseMerges,
  parseVocabTxt,
  unicodeStringToBytes,
} from '../src/index.js';

interface ClipCase {
  prompt: string;
  ids: number[];
  add_special_tokens: boolean;
}

const dir = testdata('clip');
const read = (name: string) => readFileSync(`${dir}/${name}`, 'utf8');
const cases = (JSON.parse(read('cases.json')) as { cases: ClipCase[] }).cases;
const merges = read('merges.txt');
const fromJson = ClipTokenizer.fromVocabJson(read('vocab.json'), merges);
const fromTxt = ClipTokenizer.fromVocabTxt(read('vocab.txt'), merges);

describe('ClipTokenizer on the published cases (cases.json)', () => {
  it('has all seven cases', () => {
    expect(cases).toHaveLength(7);
  });
  for (const [layout, tok] of [
    ['vocab.json + merges.txt', fromJson],
    ['vocab.txt + merges.txt (OnnxStream layout)', fromTxt],
  ] as const) {
    describe(layout, () => {
      for (const c of cases) {
        it(`reproduces ${JSON.stringify(c.prompt.slice(0, 40))}`, () => {
          expect(tok.encode(c.prompt, { addSpecialTokens: c.add_special_tokens })).toEqual(c.ids);
        });
      }
    });
  }

  it('loads both layouts from a folder', async () => {
    const t = await loadClipTokenizer(dir);
    expect(t.vocabSize).toBe(49408);
    expect(t.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
  });
});

describe('special tokens and padding', () => {
  it('uses BOS 49406 / EOS 49407', () => {
    expect(fromTxt.bosId).toBe(49406);
    expect(fromTxt.eosId).toBe(49407);
    expect(fromTxt.encode('<|startoftext|>x<|endoftext|>')).toEqual([49406, 343, 49407]);
  });

  it('pads to 77 with EOS (SD 1.5) or 0 (OpenCLIP / SDXL second encoder)', () => {
    const sd15 = fromJson.encodePadded('a photo of a cat');
    expect(sd15).toHaveLength(77);
    expect(sd15.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
    expect(sd15[76]).toBe(49407);
    const te2 = fromJson.encodePadded('a photo of a cat', { padId: 0 });
    expect(te2.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    expect(te2.slice(7).every((v) => v === 0)).toBe(true);
    // "Hello World!" as published by OpenAI's clip.tokenize: ids then 72 zeros.
    const hello = fromJson.encodePadded('Hello World!', { padId: 0 });
    expect(hello).toEqual([49406, 3306, 1002, 256, 49407, ...new Array(72).fill(0)]);
  });

  it('truncates to 77 keeping EOS last', () => {
    const ids = fromJson.encodePadded('cat '.repeat(100));
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids[75]).toBe(2368);
    expect(ids[76]).toBe(49407);
  });
});

describe('pieces', () => {
  it('cleans text like the ftfy-less CLIP tokenizer', () => {
    expect(cleanClipText('  Hello\n\tWORLD  ')).toBe('hello world');
    expect(cleanClipText('fe\u0301e')).toBe('f\u00e9e'); // NFC
  });

  it('pre-tokenizes with the CLIP pattern', () => {
    expect(clipPreTokens("it's 92 <s>!!")).toEqual(['it', "'s", '9', '2', '<', 's', '>!!']);
  });

  it('maps bytes to the byte-level alphabet and back', () => {
    const bytes = new TextEncoder().encode('é 😊');
    const s = bytesToUnicodeString(bytes);
    expect(s).toBe('Ã©ĠðŁĺĬ');
    expect(unicodeStringToBytes(s)).toEqual(bytes);
  });

  it('merges lowest rank first and appends </w> to the last symbol', () => {
    const bpe = new BpeMerges([
      ['l', 'o'],
      ['lo', 'w</w>'],
      ['e', 'r</w>'],
    ]);
    expect(bpe.encode('low')).toEqual(['low</w>']);
    expect(bpe.encode('lower')).toEqual(['lo', 'w', 'er</w>']);
    expect(bpe.encode('x')).toEqual(['x</w>']);
  });

  it('parses vocab.txt ids by line and skips the merges header', () => {
    expect(parseVocabTxt('a\nb\r\nc\n')).toEqual(
      new Map([
        ['a', 0],
        ['b', 1],
        ['c', 2],
      ]),
    );
    expect(parseMerges('#version: 0.2\ni n\nt h\n')).toEqual([
      ['i', 'n'],
      ['t', 'h'],
    ]);
  });

  it('decodes ids back to text', () => {
    expect(fromJson.decode(fromJson.encode('Hello, falsé world!', { addSpecialTokens: true }))).toBe(
      'hello , falsé world !',
    );
  });
});

describe("OnnxStream's simplified tokenizer (mode 'onnxstream')", () => {
  const unknown: string[] = [];
  const os = ClipTokenizer.fromVocabTxt(read('vocab.txt'), merges, {
    mode: 'onnxstream',
    onUnknown: (s) => unknown.push(s),
  });

  it('agrees with CLIP on lower-case ASCII prompts', () => {
    const p = 'a photo of an astronaut riding a horse on mars';
    expect(os.encode(p)).toEqual(fromJson.encode(p));
  });

  it('does not lower-case, splits punctuation one character at a time and drops non-ASCII bytes', () => {
    unknown.length = 0;
    // "!!" is one CLIP piece ("!!</w>") but two OnnxStream pieces ("!</w>" twice).
    expect(os.encode('cat!!')).toEqual([2368, 256, 256]);
    expect(fromJson.encode('cat!!')).toEqual([2368, fromJson.tokenToId('!!</w>')]);
    // 'é' is two UTF-8 bytes, each its own piece, neither in the vocabulary as a raw byte.
    expect(os.encode('é')).toEqual([]);
    expect(unknown).toHaveLength(2);
    // Upper case stays upper case: "Hello" is not "hello".
    expect(os.encode('Hello')).not.toEqual(fromJson.encode('Hello'));
  });
});
