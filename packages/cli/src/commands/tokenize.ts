/** `onnxstream tokenize "prompt"`: the CLIP token ids of a prompt (and its 77-token chunks). */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClipTokenizer,
  defaultCacheDir,
  loadClipTokenizer,
  ONNXSTREAM_REPOS,
  promptToChunks,
  repoFolderName,
  resolveLayout,
} from '@onnxstream/stable-diffusion';
import { UsageError } from '../usage.js';

export interface TokenizeCommandOptions {
  tokenizer?: string;
  modelsPath?: string;
  mode: 'clip' | 'onnxstream';
  chunks?: boolean;
  json?: boolean;
}

async function tokenizerDir(opts: TokenizeCommandOptions): Promise<string> {
  if (opts.tokenizer) return opts.tokenizer;
  const roots = opts.modelsPath
    ? [opts.modelsPath]
    : ['.', join(defaultCacheDir(), repoFolderName(ONNXSTREAM_REPOS.sd15)), defaultCacheDir()];
  for (const root of roots) {
    try {
      return (await resolveLayout(root)).tokenizer;
    } catch {
      // a folder that only has a tokenizer
      try {
        await access(join(root, 'tokenizer', 'merges.txt'));
        return join(root, 'tokenizer');
      } catch {}
    }
  }
  throw new UsageError(
    'no tokenizer found: pass --tokenizer <folder with vocab.json or vocab.txt + merges.txt> or --models-path <model folder>',
  );
}

export async function tokenizeCommand(prompt: string, opts: TokenizeCommandOptions): Promise<number> {
  if (opts.mode !== 'clip' && opts.mode !== 'onnxstream')
    throw new UsageError(`--mode expects clip or onnxstream, got '${opts.mode}'`);
  const dir = await tokenizerDir(opts);
  let tok: ClipTokenizer;
  try {
    tok = await loadClipTokenizer(dir, { mode: opts.mode });
  } catch (e) {
    throw new UsageError(`cannot load the tokenizer in '${dir}': ${(e as Error).message}`);
  }
  const ids = tok.encode(prompt);
  const chunks = promptToChunks(tok, prompt, {
    syntax: opts.mode === 'onnxstream' ? 'onnxstream' : undefined,
  });
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        ids,
        tokens: ids.map((id) => tok.idToToken(id)),
        chunks: opts.chunks ? chunks : chunks.length,
      })}\n`,
    );
    return 0;
  }
  if (opts.chunks) {
    for (const c of chunks) process.stdout.write(`${c.ids.join(' ')}\n`);
  } else {
    process.stdout.write(`${ids.join(' ')}\n`);
  }
  return 0;
}
