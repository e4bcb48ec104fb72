export { BufferPool } from './buffer-pool.js';
export { createProvider, type ProviderName, type ProviderOptions } from './create.js';
export { type DiskNoCacheOptions, DiskNoCacheProvider, type NoCacheStats } from './disk-nocache.js';
export { type DiskPrefetchOptions, DiskPrefetchProvider, type PrefetchStats } from './disk-prefetch.js';
export { type RamOptions, RamProvider, type RamStats } from './ram.js';
