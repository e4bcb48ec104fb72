import { hostAllocator } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeHostAllocator, nativeInfo } from '../src/index.js';
import '../src/register.js';

describe('native host allocator (weight read buffers)', () => {
  it('is installed by register, gives native blocks and frees them at once', () => {
    expect(hostAllocator()).toBeDefined();
    const host = nativeHostAllocator();
    const before = nativeInfo().bytesInUse;
    const b = host.allocate(5 << 20);
    expect(b.byteLength).toBe(5 << 20);
    const view = new Uint8Array(b);
    view.fill(7);
    expect(view[(5 << 20) - 1]).toBe(7);
    expect(nativeInfo().bytesInUse - before).toBeGreaterThanOrEqual(5 << 20);
    host.free(b);
    // Views become empty before the memory goes; the block is no longer counted as in use.
    expect(view.byteLength).toBe(0);
    expect(nativeInfo().bytesInUse).toBe(before);
    expect(() => host.free(new ArrayBuffer(8))).toThrow(/not a buffer from alloc/);
  });
});
