/**
 * Byte-pair-encoding merges as CLIP applies them (`SimpleTokenizer.bpe` of openai/CLIP): the word's
 * symbols with `</w>` appended to the last one, then repeatedly merge every occurrence of the adjacent
 * pair with the lowest merge rank until no ranked pair is left.
 */

/** Suffix CLIP appends to the last symbol of every word. */
export const END_OF_WORD = '</w>';

/** A BPE merge table: rank (priority, lower first) of each pair. */
export class BpeMerges {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  /** @param pairs - merge pairs in priority order (rank = index). */
  constructor(pairs: Iterable<readonly [string, string]>) {
    let rank = 0;
    for (const [a, b] of pairs) {
      const key = a + ' ' + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
      rank++;
    }
  }

  /** Number of merges. */
  get size(): number {
    return this.ranks.size;
  }

  /** Rank of the pair (a, b), or undefined. */
  rank(a: string, b: string): number | undefined {
    return this.ranks.get(a + ' ' + b);
  }

  /** Pre-seeds the result for a word (CLIP does this for its special tokens). */
  setCached(word: string, symbols: string[]): void {
    this.cache.set(word, symbols);
  }

  /**
   * Applies the merges to `word` (a string of single-code-unit symbols) and returns the final symbols.
   * Results are cached per word.
   */
  encode(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let symbols = word.split('');
    if (symbols.length === 0) return [];
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let best = Number.POSITIVE_INFINITY;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(symbols[i] + ' ' + symbols[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          first = symbols[i];
          second = symbols[i + 1];
        }
      }
      if (best === Number.POSITIVE_INFINITY) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; ) {
        if (i + 1 < symbols.length && symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(symbols[i]);
          i++;
        }
      }
      symbols = merged;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }
}
