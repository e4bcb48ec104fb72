import { describe, expect, it } from 'vitest';
import { Tensor } from './tensor.js';

describe('Tensor.subview', () => {
  it('views a run of elements without a copy, sharing the storage', () => {
    const t = new Tensor(
      'float32',
      Float32Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const v = t.subview(12, [3, 4]);
    expect(v.dims).toEqual([3, 4]);
    expect(Array.from(v.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    (v.data as Float32Array)[0] = -1;
    expect((t.data as Float32Array)[12]).toBe(-1);
    expect(v.memoryKey).toBe(t.memoryKey);
    expect(v.byteLength).toBe(48);
    expect(v.storageBytes).toBe(96);
    // A view of a view, reshaped, still knows the whole storage.
    expect(v.subview(4, [2, 2]).reshape([4]).storageBytes).toBe(96);
    expect((v.subview(4, [2, 2]).data as Float32Array)[0]).toBe(16);
  });

  it('refuses runs outside the tensor and string tensors', () => {
    const t = new Tensor('float32', new Float32Array(6), [6]);
    expect(() => t.subview(4, [3])).toThrow(/a view of \[3\] from element 4 does not fit in \[6\]/);
    expect(() => t.subview(-1, [1])).toThrow(RangeError);
    expect(() => t.subview(0.5, [1])).toThrow(RangeError);
    expect(() => new Tensor('string', ['a', 'b'], [2]).subview(0, [1])).toThrow(
      /string tensors have no views/,
    );
  });

  it('frees the storage once, whichever view is disposed', () => {
    const t = new Tensor('float32', new Float32Array(8), [8]);
    let frees = 0;
    t.setDisposer(() => frees++);
    const a = t.subview(0, [4]);
    const b = t.subview(4, [4]);
    expect(a.ownsMemory && b.ownsMemory).toBe(true);
    b.dispose();
    a.dispose();
    t.dispose();
    expect(frees).toBe(1);
  });

  it('rebuilds its view at its own offset when the memory under it was replaced', () => {
    // A WebAssembly heap that grew: the old ArrayBuffer is detached, the relocator gives the block
    // (elements 4 to 12) again in the new memory.
    let memory = new Float32Array(16).map((_, i) => i);
    const t = new Tensor('float32', memory.subarray(4, 12), [8]);
    t.setRelocator(() => memory.subarray(4, 12));
    const v = t.subview(2, [2, 2]);
    expect(Array.from(v.data as Float32Array)).toEqual([6, 7, 8, 9]);
    const old = memory.buffer;
    memory = new Float32Array(32).map((_, i) => 100 + i);
    structuredClone(old, { transfer: [old] });
    expect(Array.from(v.data as Float32Array)).toEqual([106, 107, 108, 109]);
    expect(Array.from(t.data as Float32Array)).toEqual([104, 105, 106, 107, 108, 109, 110, 111]);
  });
});
