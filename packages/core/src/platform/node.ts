/**
 * Node.js platform layer: sandboxed access to a model folder on disk. Selected through the
 * package's `#platform` import condition, so browser bundles never see `node:` modules.
 */
import { close, open, read } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { WeightsError } from '../errors.js';
import { checkRelativePath, checkTarget, type ModelFiles } from '../files/model-files.js';

export const platformName = 'node';

/**
 * Files of a model folder. Every path is checked twice: lexically ('..', absolute paths) and after
 * resolving symbolic links (the real path must stay under the folder's real path).
 */
export class NodeModelFiles implements ModelFiles {
  readonly root: string;
  #realRoot: Promise<string>;
  #checked = new Map<string, Promise<string>>();
  /** Open descriptors, least recently used first; a model reads its files run after run. */
  #open = new Map<string, { fd: Promise<number>; users: number }>();

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

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const real = await this.resolvePath(path);
    if (into) checkTarget(into, length);
    // Not zero-filled (the read fills it); a buffer of its own, so it starts aligned.
    const out = into ?? new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    const entry = this.#acquire(real);
    try {
      await readFully(await entry.fd, out, offset, path, this.root);
    } finally {
      entry.users--;
    }
    return out;
  }

  /** Closes every descriptor this object holds. */
  async close(): Promise<void> {
    const entries = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(entries.map(async (e) => closeFd(await e.fd.catch(() => -1))));
  }

  #acquire(real: string): { fd: Promise<number>; users: number } {
    let entry = this.#open.get(real);
    if (entry) this.#open.delete(real);
    else {
      entry = { fd: openFd(real), users: 0 };
      entry.fd.catch(() => this.#open.delete(real));
    }
    this.#open.set(real, entry);
    entry.users++;
    // Close the least recently used idle descriptors beyond the limit.
    for (const [k, e] of this.#open) {
      if (this.#open.size <= MAX_OPEN_FILES) break;
      if (e.users > 0) continue;
      this.#open.delete(k);
      e.fd.then(closeFd, () => {});
    }
    return entry;
  }
}

// Enough for a model folder's weights in one run (YOLOv8n has 125 files): reading them in a cycle,
// fewer would reopen every file every run.
const MAX_OPEN_FILES = 256;

function openFd(path: string): Promise<number> {
  return new Promise((res, rej) => open(path, 'r', (e, fd) => (e ? rej(e) : res(fd))));
}

function closeFd(fd: number): void {
  if (fd >= 0) close(fd, () => {});
}

function readAt(fd: number, out: Uint8Array, at: number, length: number, position: number): Promise<number> {
  return new Promise((res, rej) => read(fd, out, at, length, position, (e, n) => (e ? rej(e) : res(n))));
}

async function readFully(fd: number, out: Uint8Array, offset: number, path: string, root: string) {
  let done = 0;
  while (done < out.byteLength) {
    const bytesRead = await readAt(fd, out, done, out.byteLength - done, offset + done);
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
