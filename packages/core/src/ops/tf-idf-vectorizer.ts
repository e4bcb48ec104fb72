import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

type Token = number | string;

/** A trie node over n-gram tokens; `id` (1-based) marks the end of a pooled n-gram, 0 none. */
interface GramNode {
  id: number;
  readonly next: Map<Token, GramNode>;
}

/**
 * The pool as a trie. Pool entries are grouped by n-gram size (ngram_counts gives where each size
 * starts); only sizes in [min_gram_length, max_gram_length] are inserted, but every n-gram takes
 * an id in pool order, which indexes ngram_indexes.
 */
function buildTrie(attrs: Attributes, pool: readonly Token[], minGram: number, maxGram: number): GramNode {
  const root: GramNode = { id: 0, next: new Map() };
  const counts = attrs.ints('ngram_counts');
  let id = 1;
  for (let s = 0; s < counts.length; s++) {
    const size = s + 1;
    const start = counts[s];
    const end = s + 1 < counts.length ? counts[s + 1] : pool.length;
    const grams = Math.floor((end - start) / size);
    if (size < minGram || size > maxGram) {
      id += grams;
      continue;
    }
    for (let g = 0; g < grams; g++) {
      let node = root;
      for (let j = 0; j < size; j++) {
        const token = pool[start + g * size + j];
        let child = node.next.get(token);
        if (!child) {
          child = { id: 0, next: new Map() };
          node.next.set(token, child);
        }
        node = child;
      }
      node.id = id++;
    }
  }
  return root;
}

/**
 * TfIdfVectorizer: counts the pooled n-grams (sizes min..max, with up to max_skip_count skipped
 * tokens between items) in each row of a [C] or [B, C] int or string tensor, and weighs the counts
 * (TF: counts, IDF: weight when present, TFIDF: weight times count). Output float32
 * [max(ngram_indexes) + 1] or [B, that].
 */
export const TfIdfVectorizer: OpDef = {
  type: 'TfIdfVectorizer',
  infer(ctx) {
    const size = Math.max(-1, ...ctx.attrs.ints('ngram_indexes')) + 1;
    const dims = ctx.inputs[0]?.dims;
    const out: Dim[] | undefined = dims && (dims.length === 2 ? [dims[0], size] : [size]);
    return [{ type: 'float32', dims: out }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.dims.length <= 2, () => `input must be [C] or [B, C], got ${formatShape(x.dims)}`);
    const attrs = ctx.attrs;
    const minGram = attrs.int('min_gram_length');
    const maxGram = attrs.int('max_gram_length');
    const maxSkip = attrs.int('max_skip_count');
    const mode = attrs.string('mode');
    check(['TF', 'IDF', 'TFIDF'].includes(mode), () => `unknown mode '${mode}'`);
    const indexes = attrs.ints('ngram_indexes');
    const weights = attrs.floats('weights', []);
    const pool: readonly Token[] = attrs.has('pool_strings')
      ? attrs.strings('pool_strings')
      : attrs.ints('pool_int64s');
    check(
      (x.type === 'string') === attrs.has('pool_strings'),
      () => `a ${x.type} input needs a matching pool`,
    );
    const root = buildTrie(attrs, pool, minGram, maxGram);
    const size = Math.max(-1, ...indexes) + 1;
    const rows = x.dims.length === 2 ? x.dims[0] : 1;
    const width = x.dims.length === 0 ? 1 : x.dims[x.dims.length - 1];
    const tokens: ArrayLike<Token> = x.type === 'string' ? (x.data as string[]) : asNumbers(x);
    const counts = new Float64Array(rows * size);
    for (let r = 0; r < rows; r++) {
      const begin = r * width;
      const end = begin + width;
      let startSize = minGram;
      for (let skip = 1; skip <= maxSkip + 1; skip++) {
        for (let start = begin; start < end; start++) {
          if (start + skip * (startSize - 1) >= end) break;
          let node = root;
          for (let n = 1, item = start; n <= maxGram && item < end && node.next.size > 0; n++, item += skip) {
            const child = node.next.get(tokens[item]);
            if (!child) break;
            if (n >= startSize && child.id !== 0) counts[r * size + indexes[child.id - 1]]++;
            node = child;
          }
        }
        // Unigrams do not depend on the skip distance: count them once.
        if (startSize === 1) {
          startSize = 2;
          if (startSize > maxGram) break;
        }
      }
    }
    const out = new Float32Array(rows * size);
    for (let i = 0; i < out.length; i++) {
      const f = counts[i];
      const w = weights.length ? weights[i % size] : 1;
      out[i] = mode === 'TF' ? f : mode === 'IDF' ? (f > 0 ? w : 0) : w * f;
    }
    return [new Tensor('float32', out, x.dims.length === 2 ? [rows, size] : [size])];
  },
};
