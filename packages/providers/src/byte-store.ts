/**
 * Persistent byte caches for downloaded model files: the Cache API and the origin private file
 * system (OPFS) in browsers, a directory in Node, or memory. `HttpModelFiles` stores every verified
 * download here, so a second visit reads the model without any request.
 *
 * A store is a plain key/value map of byte arrays. It is best effort: a failed `put` (quota, private
 * browsing) only means the next visit downloads again.
 */

export interface ByteStore {
  /** Short description for messages ('cache-api:onnxstream', 'opfs:models', a directory path). */
  readonly name: string;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores a copy of `bytes` (the caller may reuse the array once the promise settles). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Bytes in a Map: tests, and a cache that lasts as long as the page or process. */
export class MemoryStore implements ByteStore {
  readonly name = 'memory';
  readonly entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const b = this.entries.get(key);
    return b ? b.slice() : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes.slice());
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/**
 * The browser's Cache API (`caches.open(name)`), available in windows and workers of secure contexts.
 * Keys become synthetic request URLs, so entries never collide with the page's own cached requests.
 */
export class CacheStorageStore implements ByteStore {
  readonly name: string;
  readonly #cache: Promise<Cache>;

  constructor(cacheName = 'onnxstream-models', storage: CacheStorage | undefined = globalThis.caches) {
    if (!storage) throw new Error('the Cache API is not available here (it needs a secure context)');
    this.name = `cache-api:${cacheName}`;
    this.#cache = storage.open(cacheName);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const res = await (await this.#cache).match(keyUrl(key));
    return res ? new Uint8Array(await res.arrayBuffer()) : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    // The Response constructor copies the bytes.
    const body = new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.byteLength) },
    });
    await (await this.#cache).put(keyUrl(key), body);
  }

  async delete(key: string): Promise<void> {
    await (await this.#cache).delete(keyUrl(key));
  }
}

function keyUrl(key: string): string {
  return `https://onnxstream.cache/entry?key=${encodeURIComponent(key)}`;
}

/** The part of `FileSystemDirectoryHandle` OpfsStore uses (also what tests fake). */
export interface OpfsDirectory {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFile>;
  removeEntry(name: string): Promise<void>;
}

interface OpfsFile {
  getFile(): Promise<Blob>;
  createWritable(): Promise<{ write(data: Uint8Array): Promise<void>; close(): Promise<void> }>;
}

/**
 * Files in the origin private file system (`navigator.storage.getDirectory()`), one per key, named
 * by the SHA-256 of the key. Pass a directory handle, or a folder name to use under the OPFS root.
 */
export class OpfsStore implements ByteStore {
  readonly name: string;
  readonly #dir: Promise<OpfsDirectory>;

  constructor(dir: OpfsDirectory | string = 'onnxstream-models') {
    this.name = `opfs:${typeof dir === 'string' ? dir : 'directory'}`;
    this.#dir = typeof dir === 'string' ? opfsFolder(dir) : Promise.resolve(dir);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const dir = await this.#dir;
    try {
      const file = await (await dir.getFileHandle(await hashName(key))).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch {
      return undefined;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const dir = await this.#dir;
    const copy = bytes.slice();
    const w = await (await dir.getFileHandle(await hashName(key), { create: true })).createWritable();
    await w.write(copy);
    await w.close();
  }

  async delete(key: string): Promise<void> {
    const dir = await this.#dir;
    await dir.removeEntry(await hashName(key)).catch(() => {});
  }
}

async function opfsFolder(name: string): Promise<OpfsDirectory> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.getDirectory) throw new Error('the origin private file system is not available here');
  const root = await storage.getDirectory();
  return (await root.getDirectoryHandle(name, { create: true })) as unknown as OpfsDirectory;
}

/**
 * A directory on disk (Node), one file per key named by the SHA-256 of the key, written atomically
 * (temporary file, then rename). `node:fs` is loaded on first use, so browser bundles that import
 * this package never pull it in.
 */
export class DirectoryStore implements ByteStore {
  readonly name: string;
  #fs: Promise<NodeFs> | undefined;

  constructor(readonly dir: string) {
    this.name = dir;
  }

  #load(): Promise<NodeFs> {
    // A computed specifier keeps bundlers from resolving node:fs for the browser.
    const specifier = ['node', 'fs/promises'].join(':');
    this.#fs ??= import(/* @vite-ignore */ specifier) as Promise<NodeFs>;
    return this.#fs;
  }

  async #path(key: string): Promise<string> {
    return `${this.dir.replace(/[\\/]+$/, '')}/${await hashName(key)}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const fs = await this.#load();
    try {
      const b = await fs.readFile(await this.#path(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch {
      return undefined;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const fs = await this.#load();
    const copy = bytes.slice();
    const path = await this.#path(key);
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = `${path}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.writeFile(tmp, copy);
    await fs.rename(tmp, path);
  }

  async delete(key: string): Promise<void> {
    const fs = await this.#load();
    await fs.rm(await this.#path(key), { force: true });
  }
}

interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

/** Hex SHA-256 of a key: a file name valid everywhere, whatever the key holds. */
async function hashName(key: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
