import { describe, expect, it } from 'vitest';
import {
  createProvider,
  DiskNoCacheProvider,
  DiskPrefetchProvider,
  type ProviderName,
  RamProvider,
} from '../src/index.js';

describe('createProvider', () => {
  it('builds each provider by name with its options', () => {
    const prefetch = createProvider('prefetch', { lookaheadBytes: 4096, plusOneFile: false });
    expect(prefetch).toBeInstanceOf(DiskPrefetchProvider);
    expect(prefetch).toMatchObject({ name: 'prefetch', lookaheadBytes: 4096, plusOneFile: false });
    expect(createProvider('prefetch')).toMatchObject({ lookaheadBytes: 1024 * 1024, plusOneFile: true });

    expect(createProvider('nocache')).toBeInstanceOf(DiskNoCacheProvider);

    const ram = createProvider('ram', { lookaheadBytes: 123, keepConverted: false });
    expect(ram).toBeInstanceOf(RamProvider);
    expect((ram as RamProvider).keepConverted).toBe(false);
    expect((ram as RamProvider).source).toMatchObject({ name: 'prefetch', lookaheadBytes: 123 });
    expect((createProvider('ram') as RamProvider).keepConverted).toBe(true);
  });

  it('rejects an unknown name with the valid ones', () => {
    expect(() => createProvider('mmap' as ProviderName)).toThrow(
      "unknown weights provider 'mmap': use prefetch, nocache or ram",
    );
  });
});
