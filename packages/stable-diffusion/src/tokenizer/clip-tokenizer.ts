/**
 * The CLIP BPE tokenizer of Stable Diffusion's text encoders (openai/clip-vit-large-patch14 and the
 * OpenCLIP ViT-bigG encoder of SDXL share the vocabulary): clean-up, pre-tokenisation, byte-level
 * mapping, BPE merges, vocabulary lookup, BOS/EOS and padding to the 77-token context.
 */
import { BpeMerges } from './bpe.js';
import { bytesToUnicodeString } from './byte-unicode.js';
import { parseMerges, parseVocabJson, parseVocabTxt } from './files.js';
import {
  type ClipTokenizerMode,
  cleanClipText,
  clipPreTokens,
  onnxstreamPreTokens,
  utf8ByteString,
} from './pretokenize.js';

/** `<|startoftext|>` id of the SD CLIP vocabulary. */
export const CLIP_BOS_ID = 49406;
/** `<|endoftext|>` id of the SD CLIP vocabulary. */
export const CLIP_EOS_ID = 49407;
/** CLIP text context length. */
export const CLIP_CONTEXT_LENGTH = 77;
/** Token id of `,</w>` (used by A1111/OnnxStream chunking). */
export const CLIP_COMMA_ID = 267;

const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';

/** Options of {@link ClipTokenizer}. */
export interface ClipTokenizerOptions {
  /** `'clip'` (default, Hugging Face-exact) or `'onnxstream'` (OnnxStream's simplified tokenizer). */
  mode?: ClipTokenizerMode;
  /** Called for symbols missing from the vocabulary (only possible in `'onnxstream'` mode); they are dropped. */
  onUnknown?: (symbol: string) => void;
}

/** Options of {@link ClipTokenizer.encodePadded}. */
export interface PadOptions {
  /** Total length (default 77). */
  length?: number;
  /**
   * Padding id: 49407 (`<|endoftext|>`, SD 1.x / SDXL first encoder, the default) or 0 (`!`, OpenAI's
   * `clip.tokenize`, OpenCLIP / SD 2.x and OnnxStream's SDXL second encoder).
   */
  padId?: number;
}

function byteStringOf(token: string): string {
  return utf8ByteString(token);
}

/** CLIP BPE tokenizer. Build it with {@link ClipTokenizer.fromVocabJson} or {@link ClipTokenizer.fromVocabTxt}. */
export class ClipTokenizer {
  /** Behaviour mode. */
  readonly mode: ClipTokenizerMode;
  /** `<|startoftext|>` id. */
  readonly bosId: number;
  /** `<|endoftext|>` id. */
  readonly eosId: number;

  private readonly vocab: Map<string, number>;
  private readonly idToTokenTable: string[] = [];
  private readonly merges: BpeMerges;
  private readonly onUnknown?: (symbol: string) => void;

  /**
   * @param vocab - token -> id, tokens in the byte-level alphabet (as in the files).
   * @param merges - merge pairs in priority order.
   */
  constructor(
    vocab: Map<string, number>,
    merges: Iterable<readonly [string, string]>,
    options: ClipTokenizerOptions = {},
  ) {
    this.mode = options.mode ?? 'clip';
    this.onUnknown = options.onUnknown;
    for (const [token, id] of vocab) this.idToTokenTable[id] = token;
    this.bosId = vocab.get(BOS_TOKEN) ?? CLIP_BOS_ID;
    this.eosId = vocab.get(EOS_TOKEN) ?? CLIP_EOS_ID;
    if (this.mode === 'onnxstream') {
      // OnnxStream compares raw UTF-8 byte strings with the file's (UTF-8 encoded) tokens.
      this.vocab = new Map([...vocab].map(([t, id]) => [byteStringOf(t), id]));
      const pairs: Array<[string, string]> = [];
      for (const [a, b] of merges) pairs.push([byteStringOf(a), byteStringOf(b)]);
      this.merges = new BpeMerges(pairs);
    } else {
      this.vocab = vocab;
      this.merges = new BpeMerges(merges);
      this.merges.setCached(BOS_TOKEN, [BOS_TOKEN]);
      this.merges.setCached(EOS_TOKEN, [EOS_TOKEN]);
    }
  }

  /** From diffusers / Hugging Face files: `tokenizer/vocab.json` and `tokenizer/merges.txt` contents. */
  static fromVocabJson(
    vocabJson: string | Record<string, number>,
    mergesTxt: string,
    options?: ClipTokenizerOptions,
  ): ClipTokenizer {
    return new ClipTokenizer(parseVocabJson(vocabJson), parseMerges(mergesTxt), options);
  }

  /** From OnnxStream's files: `tokenizer/vocab.txt` (id = line) and `tokenizer/merges.txt` contents. */
  static fromVocabTxt(vocabTxt: string, mergesTxt: string, options?: ClipTokenizerOptions): ClipTokenizer {
    return new ClipTokenizer(parseVocabTxt(vocabTxt), parseMerges(mergesTxt), options);
  }

  /** Number of entries in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /** The id of a token written in the byte-level alphabet (e.g. `"hello</w>"`), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(this.mode === 'onnxstream' ? byteStringOf(token) : token);
  }

  /** The vocabulary entry of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.idToTokenTable[id];
  }

  /** The clean-up applied before pre-tokenisation (identity in `'onnxstream'` mode). */
  normalize(text: string): string {
    return this.mode === 'onnxstream' ? text : cleanClipText(text);
  }

  /** BPE symbols (byte-level alphabet in `'clip'` mode, UTF-8 byte strings in `'onnxstream'` mode). */
  tokenize(text: string): string[] {
    const out: string[] = [];
    if (this.mode === 'onnxstream') {
      for (const piece of onnxstreamPreTokens(utf8ByteString(text))) out.push(...this.merges.encode(piece));
    } else {
      const encoder = new TextEncoder();
      for (const piece of clipPreTokens(cleanClipText(text))) {
        const word =
          piece === BOS_TOKEN || piece === EOS_TOKEN ? piece : bytesToUnicodeString(encoder.encode(piece));
        out.push(...this.merges.encode(word));
      }
    }
    return out;
  }

  /**
   * Token ids of `text`, without BOS/EOS unless `addSpecialTokens` (then `[BOS, ...ids, EOS]`, not
   * truncated). Symbols missing from the vocabulary are dropped (reported through `onUnknown`).
   */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const ids: number[] = [];
    for (const symbol of this.tokenize(text)) {
      const id = this.vocab.get(symbol);
      if (id === undefined) this.onUnknown?.(symbol);
      else ids.push(id);
    }
    return options.addSpecialTokens ? [this.bosId, ...ids, this.eosId] : ids;
  }

  /**
   * Model input ids: `[BOS, ...ids, EOS]` truncated to `length` (EOS kept last) and padded with `padId`,
   * like the Hugging Face tokenizer with `padding="max_length", truncation=True`.
   */
  encodePadded(text: string, options: PadOptions = {}): number[] {
    return this.pad(this.encode(text), options);
  }

  /** Wraps already encoded ids (no specials) with BOS/EOS, truncates and pads them (see {@link encodePadded}). */
  pad(ids: readonly number[], options: PadOptions = {}): number[] {
    const length = options.length ?? CLIP_CONTEXT_LENGTH;
    const padId = options.padId ?? this.eosId;
    if (length < 2) throw new RangeError('length must be at least 2');
    const out = [this.bosId, ...ids.slice(0, length - 2), this.eosId];
    while (out.length < length) out.push(padId);
    return out;
  }

  /** Text of ids (specials removed, `</w>` to spaces), as CLIP's `decode`. */
  decode(ids: readonly number[]): string {
    const parts: string[] = [];
    for (const id of ids) {
      if (id === this.bosId || id === this.eosId) continue;
      const t = this.idToTokenTable[id];
      if (t !== undefined) parts.push(t);
    }
    const joined = parts.join('');
    if (this.mode === 'onnxstream') return joined.replaceAll('</w>', ' ').trim();
    const bytes: number[] = [];
    const text = joined.replaceAll('</w>', ' ');
    // Map byte-level characters back to bytes; spaces are literal.
    for (const ch of text) {
      if (ch === ' ') bytes.push(0x20);
      else {
        const b = BYTE_DECODE.get(ch);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }
}

const BYTE_DECODE = new Map<string, number>();
for (let b = 0; b < 256; b++) BYTE_DECODE.set(bytesToUnicodeString(Uint8Array.of(b)), b);
