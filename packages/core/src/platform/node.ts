/**
 * Node.js platform layer: sandboxed access to a model folder on disk. Selected through the
 * package's `#platform` import condition, so browser bundles never see `node:` modules.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { WeightsError } from '../errors.js';
import { alignedBytes, checkRelativePath, type ModelFiles } from '../files/model-files.js';

export const platformName = 'node';

/**
 * Files of a model folder. Every path is checked twice: lexically ('..', absolute paths) and after
 * resolving symbolic links (the real path must stay under the folder's real path).
 */
export class NodeModelFiles implements ModelFiles {
  readonly root: string;
  #realRoot: Promise<string>;
  #checked = new Map<string, Promise<string>>();

  constructor(root: string) {
    this.root = resolve(root);
    this.#realRoot = realpath(this.root);
  }

  /** Absolute real path of a model file, after the containment checks. */
  resolvePath(path: string): Promise<string> {
    const rel = checkRelativePath(path, this.root);
    let p = this.#checked.get(rel);
    if (!p) {
      p = this.#resolve(rel);
      this.#checked.set(rel, p);
      p.catch(() => this.#checked.delete(rel));
    }
    return p;
  }

  async #resolve(rel: string): Promise<string> {
    const root = await this.#realRoot;
    const full = resolve(this.root, rel);
    let real: string;
    try {
      real = await realpath(full);
    } catch (e) {
      throw new WeightsError(`cannot open '${rel}' in model folder ${this.root}: ${(e as Error).message}`);
    }
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw new WeightsError(`'${rel}' resolves to ${real}, outside the model folder ${this.root}: refused`);
    }
    return real;
  }

  async size(path: string): Promise<number> {
    return (await stat(await this.resolvePath(path))).size;
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.resolvePath(path);
      return true;
    } catch {
      return false;
    }
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const real = await this.resolvePath(path);
    const out = alignedBytes(length);
    const fh = await open(real, 'r');
    try {
      await readFully(fh, out, offset, path, this.root);
    } finally {
      await fh.close();
    }
    return out;
  }
}

async function readFully(fh: FileHandle, out: Uint8Array, offset: number, path: string, root: string) {
  let done = 0;
  while (done < out.byteLength) {
    const { bytesRead } = await fh.read(out, done, out.byteLength - done, offset + done);
    if (bytesRead === 0) {
      throw new WeightsError(
        `'${path}' in ${root} is truncated: needed bytes ${offset}..${offset + out.byteLength}, got ${done} of ${out.byteLength}`,
      );
    }
    done += bytesRead;
  }
}

/** Resolves a user-given model location: a folder, a model.txt or an .onnx file. */
export async function openModelPath(
  path: string,
): Promise<{ files: NodeModelFiles; entry: string; format: 'onnx' | 'onnxstream' }> {
  const abs = isAbsolute(path) ? path : resolve(path);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(abs);
  } catch {
    throw new WeightsError(`model not found: ${path}`);
  }
  if (st.isDirectory()) {
    const files = new NodeModelFiles(abs);
    if (await files.exists('model.txt')) return { files, entry: 'model.txt', format: 'onnxstream' };
    if (await files.exists('model.onnx')) return { files, entry: 'model.onnx', format: 'onnx' };
    throw new WeightsError(`${path}: folder has neither model.txt nor model.onnx`);
  }
  const files = new NodeModelFiles(dirname(abs));
  const entry = basename(abs);
  return { files, entry, format: entry.toLowerCase().endsWith('.txt') ? 'onnxstream' : 'onnx' };
}
