/**
 * ModelFiles over a folder the user picked in a browser: a File System Access
 * `FileSystemDirectoryHandle` (`showDirectoryPicker()`), or the FileList of an
 * `<input type="file" webkitdirectory>`. Reads slice the File objects, so nothing is loaded whole.
 * Paths are sandboxed: '..' and absolute paths are refused before any look-up.
 */
import { checkRelativePath, type ModelFiles, WeightsError } from '@onnxstream/core';

/** The part of `FileSystemDirectoryHandle` used here (so tests can fake it). */
export interface DirectoryHandleLike {
  readonly kind?: 'directory';
  readonly name: string;
  getDirectoryHandle(name: string): Promise<DirectoryHandleLike>;
  getFileHandle(name: string): Promise<{ getFile(): Promise<Blob> }>;
}

/** A picked file: a Blob with the path under the picked folder (`webkitRelativePath`). */
export interface RelativeFile extends Blob {
  readonly name: string;
  readonly webkitRelativePath?: string;
}

/** Reads `length` bytes at `offset` of a Blob after checking it is long enough. */
async function readBlob(
  blob: Blob,
  path: string,
  root: string,
  offset: number,
  length: number,
  into?: Uint8Array,
): Promise<Uint8Array> {
  if (into && into.byteLength !== length) {
    throw new RangeError(`read target holds ${into.byteLength} bytes, the read is ${length}`);
  }
  if (offset < 0 || offset + length > blob.size) {
    throw new WeightsError(
      `file '${path}' in ${root} is too short: need bytes ${offset}..${offset + length}, it has ${blob.size}`,
    );
  }
  const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  if (bytes.byteLength !== length) {
    throw new WeightsError(`file '${path}' in ${root} changed while it was read`);
  }
  if (into) {
    into.set(bytes);
    return into;
  }
  // A fresh ArrayBuffer of its own: aligned for any typed array.
  return bytes;
}

/** Files of a folder picked with the File System Access API (`window.showDirectoryPicker()`). */
export class DirectoryHandleFiles implements ModelFiles {
  readonly root: string;
  readonly #dir: DirectoryHandleLike;
  readonly #files = new Map<string, Promise<Blob | undefined>>();

  constructor(dir: DirectoryHandleLike) {
    this.#dir = dir;
    this.root = `picked folder '${dir.name}'`;
  }

  /** The File at a model path, or undefined when there is none. */
  #file(path: string): Promise<Blob | undefined> {
    const rel = checkRelativePath(path, this.root);
    let p = this.#files.get(rel);
    if (!p) {
      p = this.#lookUp(rel);
      this.#files.set(rel, p);
    }
    return p;
  }

  async #lookUp(rel: string): Promise<Blob | undefined> {
    const parts = rel.split('/');
    const name = parts.pop()!;
    try {
      let dir = this.#dir;
      for (const part of parts) dir = await dir.getDirectoryHandle(part);
      return await (await dir.getFileHandle(name)).getFile();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw new WeightsError(`cannot open '${rel}' in ${this.root}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #require(path: string): Promise<Blob> {
    const f = await this.#file(path);
    if (!f) throw new WeightsError(`file '${path}' not found in ${this.root}`);
    return f;
  }

  async size(path: string): Promise<number> {
    return (await this.#require(path)).size;
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await this.#file(path)) !== undefined;
    } catch {
      return false;
    }
  }

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return readBlob(await this.#require(path), path, this.root, offset, length, into);
  }
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
}

/**
 * Files of a folder picked with `<input type="file" webkitdirectory>`. Each File's
 * `webkitRelativePath` starts with the picked folder's name, which is dropped: `yolov8n/model.txt`
 * is `model.txt`. Entries whose path would leave the folder are ignored.
 */
export class FileListFiles implements ModelFiles {
  readonly root: string;
  readonly #files = new Map<string, Blob>();

  constructor(files: Iterable<RelativeFile> | ArrayLike<RelativeFile>) {
    const list = Array.from(files as ArrayLike<RelativeFile>);
    const folder = list[0]?.webkitRelativePath?.split('/')[0] ?? '';
    this.root = `picked folder '${folder || 'files'}'`;
    for (const f of list) {
      const full = f.webkitRelativePath || f.name;
      const inside = full.includes('/') ? full.slice(full.indexOf('/') + 1) : full;
      let rel: string;
      try {
        rel = checkRelativePath(inside, this.root);
      } catch {
        continue;
      }
      this.#files.set(rel, f);
    }
  }

  /** Every path in the folder, sorted. */
  paths(): string[] {
    return [...this.#files.keys()].sort();
  }

  #require(path: string): Blob {
    const f = this.#files.get(checkRelativePath(path, this.root));
    if (!f) throw new WeightsError(`file '${path}' not found in ${this.root}`);
    return f;
  }

  async size(path: string): Promise<number> {
    return this.#require(path).size;
  }

  async exists(path: string): Promise<boolean> {
    try {
      return this.#files.has(checkRelativePath(path, this.root));
    } catch {
      return false;
    }
  }

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    return readBlob(this.#require(path), path, this.root, offset, length, into);
  }
}

/**
 * The model entry of a folder: 'model.txt' (OnnxStream) when present, else 'model.onnx', else the only
 * '.onnx' file among `paths` (when the caller can list them).
 */
export async function findModelEntry(files: ModelFiles, paths: readonly string[] = []): Promise<string> {
  if (await files.exists('model.txt')) return 'model.txt';
  if (await files.exists('model.onnx')) return 'model.onnx';
  const onnx = paths.filter((p) => !p.includes('/') && p.toLowerCase().endsWith('.onnx'));
  if (onnx.length === 1) return onnx[0];
  throw new WeightsError(`no model.txt or model.onnx in ${files.root}`);
}
