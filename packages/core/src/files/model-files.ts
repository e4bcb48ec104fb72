import { WeightsError } from '../errors.js';

/**
 * Read access to the files of one model (a folder on disk, an HTTP base URL, or bytes in memory).
 * Paths are relative to the model root and use '/' separators; implementations refuse any path that
 * would leave the root.
 */
export interface ModelFiles {
  /** Human-readable root (folder path or URL) for messages. */
  readonly root: string;
  /** Byte size of a file; rejects when it does not exist. */
  size(path: string): Promise<number>;
  exists(path: string): Promise<boolean>;
  /**
   * Reads `length` bytes at `offset` into `into` (exactly `length` bytes) or else a fresh,
   * 8-byte-aligned buffer, and returns it. Rejects with a WeightsError naming the file when it is
   * shorter than `offset + length`.
   */
  read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Releases open handles. */
  close?(): Promise<void>;
}

/**
 * Validates a model-relative path: no absolute paths, no drive letters, no '..' segments,
 * no NUL bytes. Returns the normalised '/'-separated path.
 */
export function checkRelativePath(path: string, root: string): string {
  const p = path.replace(/\\/g, '/');
  if (p.length === 0) throw new WeightsError(`empty file name in model at ${root}`);
  if (p.includes('\0')) throw new WeightsError(`file name with a NUL byte refused: ${JSON.stringify(path)}`);
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) {
    throw new WeightsError(
      `absolute path '${path}' refused: weights must stay inside the model folder ${root}`,
    );
  }
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) {
    throw new WeightsError(`path '${path}' refused: '..' would leave the model folder ${root}`);
  }
  return parts.join('/');
}

/** Model files held in memory (a model given as bytes, tests, browser uploads). */
export class MemoryFiles implements ModelFiles {
  readonly #files: Map<string, Uint8Array>;
  constructor(
    files: Iterable<[string, Uint8Array]>,
    readonly root = 'memory',
  ) {
    this.#files = new Map([...files].map(([k, v]) => [checkRelativePath(k, root), v]));
  }

  #get(path: string): Uint8Array {
    const f = this.#files.get(checkRelativePath(path, this.root));
    if (!f) throw new WeightsError(`file '${path}' not found in ${this.root}`);
    return f;
  }

  async size(path: string): Promise<number> {
    return this.#get(path).byteLength;
  }

  async exists(path: string): Promise<boolean> {
    return this.#files.has(checkRelativePath(path, this.root));
  }

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const f = this.#get(path);
    if (offset < 0 || offset + length > f.byteLength) {
      throw new WeightsError(
        `file '${path}' in ${this.root} is too short: need bytes ${offset}..${offset + length}, it has ${f.byteLength}`,
      );
    }
    const out = into ?? alignedBytes(length);
    checkTarget(out, length);
    out.set(f.subarray(offset, offset + length));
    return out;
  }
}

/** A zeroed byte array whose buffer starts 8-byte aligned (any typed array can view it). */
export function alignedBytes(length: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(length));
}

/** Checks a caller-given read target. */
export function checkTarget(into: Uint8Array, length: number): void {
  if (into.byteLength !== length) {
    throw new RangeError(`read target holds ${into.byteLength} bytes, the read is ${length}`);
  }
}
