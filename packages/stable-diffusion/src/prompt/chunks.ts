/**
 * Weighted prompt -> CLIP input chunks, as AUTOMATIC1111 (`FrozenCLIPEmbedderWithCustomWordsBase.
 * tokenize_line`) and OnnxStream do it: the weighted runs are tokenized and concatenated; tokens are
 * cut into chunks of 75; when a chunk fills up and the last comma is at most 20 tokens back, the tokens
 * after the comma move to the next chunk (the chunk is padded instead); `BREAK` starts a new chunk.
 * Each chunk becomes 77 ids `[BOS, 75 tokens or padding, EOS]` with 77 weights (1.0 on BOS/EOS/padding).
 * All chunks are returned; the pipeline encodes each and concatenates the embeddings (OnnxStream's SD 1.5
 * keeps only the last chunk, see reference section 7.2).
 */
import { CLIP_COMMA_ID, type ClipTokenizer } from '../tokenizer/clip-tokenizer.js';
import { type PromptAttentionOptions, parsePromptAttention } from './attention.js';

/** One 77-token CLIP input with per-token weights. */
export interface PromptChunk {
  /** Token ids, length chunkLength + 2. */
  ids: number[];
  /** Emphasis weight of each id. */
  weights: number[];
}

/** Options of {@link promptToChunks}. */
export interface PromptChunkOptions extends PromptAttentionOptions {
  /** Tokens per chunk between BOS and EOS (default 75). */
  chunkLength?: number;
  /** Padding id (default: the tokenizer's EOS, 49407; use 0 for OpenCLIP-style padding). */
  padId?: number;
  /** How far back (in tokens) a comma may be to move the chunk's tail to the next chunk (A1111 default 20; 0 disables). */
  commaPaddingBacktrack?: number;
  /** Comma token id (default 267, `,</w>`). */
  commaId?: number;
}

/** Tokens of a prompt with their weights, before chunking. */
export interface WeightedTokens {
  ids: number[];
  weights: number[];
}

/** Parses emphasis and tokenizes every run: the flat token/weight lists (BREAK markers dropped). */
export function tokenizeWeighted(
  tokenizer: ClipTokenizer,
  prompt: string,
  options: PromptAttentionOptions = {},
): WeightedTokens {
  const ids: number[] = [];
  const weights: number[] = [];
  for (const { text, weight } of parsePromptAttention(prompt, options)) {
    if (text === 'BREAK' && weight === -1) continue;
    for (const id of tokenizer.encode(text)) {
      ids.push(id);
      weights.push(weight);
    }
  }
  return { ids, weights };
}

/** Splits a weighted prompt into 77-token chunks (see the module description). At least one chunk is returned. */
export function promptToChunks(
  tokenizer: ClipTokenizer,
  prompt: string,
  options: PromptChunkOptions = {},
): PromptChunk[] {
  const chunkLength = options.chunkLength ?? 75;
  const padId = options.padId ?? tokenizer.eosId;
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const commaId = options.commaId ?? CLIP_COMMA_ID;
  const chunks: PromptChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;

  const nextChunk = () => {
    const toAdd = chunkLength - ids.length;
    for (let k = 0; k < toAdd; k++) {
      ids.push(padId);
      weights.push(1);
    }
    chunks.push({ ids: [tokenizer.bosId, ...ids, tokenizer.eosId], weights: [1, ...weights, 1] });
    ids = [];
    weights = [];
    lastComma = -1;
  };

  for (const { text, weight } of parsePromptAttention(prompt, options)) {
    if (text === 'BREAK' && weight === -1) {
      nextChunk();
      continue;
    }
    for (const token of tokenizer.encode(text)) {
      if (token === commaId) {
        lastComma = ids.length;
      } else if (
        backtrack !== 0 &&
        ids.length === chunkLength &&
        lastComma !== -1 &&
        ids.length - lastComma <= backtrack
      ) {
        const breakAt = lastComma + 1;
        const relocIds = ids.slice(breakAt);
        const relocWeights = weights.slice(breakAt);
        ids = ids.slice(0, breakAt);
        weights = weights.slice(0, breakAt);
        nextChunk();
        ids = relocIds;
        weights = relocWeights;
      }
      if (ids.length === chunkLength) nextChunk();
      ids.push(token);
      weights.push(weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) nextChunk();
  return chunks;
}
