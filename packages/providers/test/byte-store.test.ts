import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ByteStore,
  CacheStorageStore,
  DirectoryStore,
  MemoryStore,
  type OpfsDirectory,
  OpfsStore,
} from '../src/index.js';
import { TempDirs } from './helpers.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

/** A fake CacheStorage keeping Responses by URL, as browsers do (Node 20 has no `caches`). */
function fakeCaches(): CacheStorage {
  const caches = new Map<string, Map<string, Response>>();
  const open = async (name: string) => {
    let entries = caches.get(name);
    if (!entries) {
      entries = new Map();
      caches.set(name, entries);
    }
    const e = entries;
    return {
      match: async (url: string) => e.get(url)?.clone(),
      put: async (url: string, res: Response) => void e.set(url, res),
      delete: async (url: string) => e.delete(url),
    } as unknown as Cache;
  };
  return { open } as unknown as CacheStorage;
}

/** A fake OPFS directory. */
function fakeOpfs(): OpfsDirectory & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    async getFileHandle(name, options) {
      if (!files.has(name) && !options?.create)
        throw Object.assign(new Error(name), { name: 'NotFoundError' });
      return {
        getFile: async () => new Blob([(files.get(name) ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>]),
        createWritable: async () => {
          const parts: Uint8Array[] = [];
          return {
            write: async (d: Uint8Array) => void parts.push(d.slice()),
            close: async () => {
              const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
              let at = 0;
              for (const p of parts) {
                out.set(p, at);
                at += p.byteLength;
              }
              files.set(name, out);
            },
          };
        },
      };
    },
    async removeEntry(name) {
      files.delete(name);
    },
  };
}

async function roundTrip(store: ByteStore): Promise<void> {
  const key = 'http://host/models/yolo/w.bin@0+6';
  expect(await store.get(key)).toBeUndefined();
  const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  await store.put(key, bytes);
  bytes.fill(0); // the store kept a copy
  expect(await store.get(key)).toEqual(Uint8Array.from([1, 2, 3, 4, 5, 6]));
  await store.put(key, Uint8Array.from([9]));
  expect(await store.get(key)).toEqual(Uint8Array.from([9]));
  await store.delete(key);
  expect(await store.get(key)).toBeUndefined();
}

describe('byte stores', () => {
  it('MemoryStore', () => roundTrip(new MemoryStore()));
  it('CacheStorageStore (Cache API)', () => roundTrip(new CacheStorageStore('models', fakeCaches())));
  it('OpfsStore', async () => {
    const dir = fakeOpfs();
    await roundTrip(new OpfsStore(dir));
    await new OpfsStore(dir).put('a/../b?c', Uint8Array.from([1]));
    expect([...dir.files.keys()]).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });
  it('DirectoryStore: hashed file names, no temporary files left', async () => {
    const dir = await dirs.make();
    await roundTrip(new DirectoryStore(dir));
    const store = new DirectoryStore(`${dir}/sub/`);
    await store.put('../../etc/passwd', Uint8Array.from([7]));
    expect(await readdir(`${dir}/sub`)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });
  it('the Cache API and OPFS say clearly when they are missing', () => {
    expect(() => new CacheStorageStore('x', undefined)).toThrow(/Cache API is not available/);
  });
});
