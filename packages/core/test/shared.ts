import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared test data folder: $ONNXSTREAM_SHARED/testdata, else ../shared/testdata next to the repo. */
export function testdata(...parts: string[]): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const base = process.env.ONNXSTREAM_SHARED ?? join(repo, '..', 'shared');
  const dir = join(base, 'testdata');
  if (!existsSync(dir)) throw new Error(`shared test data not found at ${dir} (set ONNXSTREAM_SHARED)`);
  return join(dir, ...parts);
}

export async function readFloat32(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
