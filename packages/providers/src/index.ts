export {
  DirectoryHandleFiles,
  type DirectoryHandleLike,
  FileListFiles,
  findModelEntry,
  type RelativeFile,
} from './browser-files.js';
export { BufferPool } from './buffer-pool.js';
export {
  type ByteStore,
  CacheStorageStore,
  DirectoryStore,
  MemoryStore,
  type OpfsDirectory,
  OpfsStore,
} from './byte-store.js';
export { createProvider, type ProviderName, type ProviderOptions } from './create.js';
export { type DiskNoCacheOptions, DiskNoCacheProvider, type NoCacheStats } from './disk-nocache.js';
export { type DiskPrefetchOptions, DiskPrefetchProvider, type PrefetchStats } from './disk-prefetch.js';
export {
  type HttpFilesOptions,
  HttpModelFiles,
  type HttpProgress,
  type HttpStats,
  type PackIndex,
} from './http-files.js';
export { HttpProvider, type HttpProviderOptions, type HttpProviderStats } from './http-provider.js';
export { type RamOptions, RamProvider, type RamStats } from './ram.js';
