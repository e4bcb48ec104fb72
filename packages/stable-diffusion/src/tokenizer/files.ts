/**
 * Parsers for the tokenizer files: diffusers/Hugging Face `vocab.json` (token -> id), OnnxStream's
 * `vocab.txt` (one token per line, id = line index; reference section 7.2) and `merges.txt` (one
 * space-separated pair per line, priority = line order, optional `#version` header).
 */

/** Parses `vocab.json` text (or an already parsed object) into token -> id. */
export function parseVocabJson(json: string | Record<string, number>): Map<string, number> {
  const obj = typeof json === 'string' ? (JSON.parse(json) as Record<string, number>) : json;
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(obj)) {
    if (!Number.isInteger(id))
      throw new Error(`vocab.json: id of ${JSON.stringify(token)} is not an integer`);
    vocab.set(token, id);
  }
  return vocab;
}

/** Parses OnnxStream's `vocab.txt`: line i (0-based) is the token with id i. A final newline is allowed. */
export function parseVocabTxt(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => {
    const token = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (!vocab.has(token)) vocab.set(token, id);
  });
  return vocab;
}

/** Parses `merges.txt` into pairs in priority order (skips a `#version` header and blank lines). */
export function parseMerges(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const sp = line.indexOf(' ');
    if (sp <= 0 || sp === line.length - 1)
      throw new Error(`merges.txt line ${i + 1} is not a pair: ${JSON.stringify(line)}`);
    pairs.push([line.slice(0, sp), line.slice(sp + 1)]);
  }
  return pairs;
}
