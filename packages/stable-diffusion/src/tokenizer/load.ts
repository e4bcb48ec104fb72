/** Loading a {@link ClipTokenizer} from a folder on disk (Node.js only). */
import { ClipTokenizer, type ClipTokenizerOptions } from './clip-tokenizer.js';

/**
 * Loads a tokenizer folder: `vocab.json` + `merges.txt` (diffusers layout) if `vocab.json` exists, else
 * OnnxStream's `vocab.txt` + `merges.txt`. Node.js only (uses `node:fs/promises`).
 * @param dir - folder such as `<model>/tokenizer` or `<model>/sdxl_tokenizer`.
 */
export async function loadClipTokenizer(dir: string, options?: ClipTokenizerOptions): Promise<ClipTokenizer> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const merges = await readFile(join(dir, 'merges.txt'), 'utf8');
  try {
    const vocab = await readFile(join(dir, 'vocab.json'), 'utf8');
    return ClipTokenizer.fromVocabJson(vocab, merges, options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return ClipTokenizer.fromVocabTxt(await readFile(join(dir, 'vocab.txt'), 'utf8'), merges, options);
}
