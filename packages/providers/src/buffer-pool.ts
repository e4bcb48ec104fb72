import { type HostAllocator, hostAllocator } from '@onnxstream/core';

/**
 * Recycles the buffers weights are read into. Without it every streamed weight is a fresh
 * ArrayBuffer whose pages are faulted in again (about 300 ms for a 59 MB weight on a VM where a page
 * fault costs 20 us) and that lingers until the garbage collector runs.
 *
 * Buffers are kept in size classes (eight per power of two, so a reused buffer wastes at most
 * 1/8 of its size); a request takes a free buffer of its class, else the smallest free one up to
 * twice its size. Free buffers fill at most the room below 1.25 times the high-water mark of buffers
 * in use (and `maxFreeBytes`), oldest dropped first: the pool holds at most a quarter more than the
 * engine once needed at the same time, so the largest weights' buffers survive the small reads
 * between them, and a run like the last one allocates little.
 *
 * When a host allocator is registered (`setHostAllocator`: the native addon does it), buffers come
 * from it and go back to it as soon as they are given back: its own block cache recycles them
 * against the high-water mark of all native memory (activations too) and its large blocks use huge
 * pages, so a fresh one is cheap. Keeping them here as well would hold the largest weights' buffers
 * through the activation peak that follows them (measured: 80 MB of a UNet run's peak).
 */
export class BufferPool {
  readonly maxFreeBytes: number;
  /** Free buffers by class size; Map order is least recently freed first. */
  #free = new Map<number, ArrayBuffer[]>();
  #freeBytes = 0;
  /** Buffers handed out and not yet given back, so a foreign or twice-given buffer is ignored. */
  #out = new WeakSet<ArrayBuffer>();
  /** Buffers handed out that came from a host allocator, and that allocator. */
  #hosted = new WeakMap<ArrayBuffer, HostAllocator>();
  #outBytes = 0;
  #peakOutBytes = 0;
  #reuses = 0;
  #allocations = 0;

  constructor(maxFreeBytes = 256 * 1024 * 1024) {
    if (!Number.isFinite(maxFreeBytes) || maxFreeBytes < 0) {
      throw new RangeError(`maxFreeBytes must be a finite number >= 0, got ${maxFreeBytes}`);
    }
    this.maxFreeBytes = maxFreeBytes;
  }

  /** A buffer view of exactly `length` bytes, starting at offset 0 of a buffer of this pool. */
  take(length: number): Uint8Array {
    const size = classSize(length);
    let buffer = this.#takeFree(size);
    if (buffer) {
      this.#reuses++;
    } else {
      const host = hostAllocator();
      if (host) {
        buffer = host.allocate(size);
        this.#hosted.set(buffer, host);
      } else buffer = allocate(size);
      this.#allocations++;
    }
    this.#out.add(buffer);
    this.#outBytes += buffer.byteLength;
    this.#peakOutBytes = Math.max(this.#peakOutBytes, this.#outBytes);
    this.#trim(0);
    return new Uint8Array(buffer, 0, length);
  }

  /** Returns a buffer from `take` (any view of it); others are ignored. */
  give(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || !this.#out.has(buffer)) return;
    this.#out.delete(buffer);
    const size = buffer.byteLength;
    this.#outBytes -= size;
    const host = this.#hosted.get(buffer);
    if (host) {
      this.#hosted.delete(buffer);
      host.free(buffer);
      return;
    }
    if (!this.#trim(size)) return;
    const list = this.#free.get(size);
    // Re-inserted at the end: the most recently freed class is dropped last.
    if (list) this.#free.delete(size);
    this.#free.set(size, [...(list ?? []), buffer]);
    this.#freeBytes += size;
  }

  /** Drops every free buffer. */
  clear(): void {
    this.#free.clear();
    this.#freeBytes = 0;
  }

  get stats(): { freeBytes: number; reuses: number; allocations: number } {
    return { freeBytes: this.#freeBytes, reuses: this.#reuses, allocations: this.#allocations };
  }

  /** A free buffer of class `size`, else the smallest free one up to twice that; removed from the list. */
  #takeFree(size: number): ArrayBuffer | undefined {
    let best: number | undefined;
    for (const s of this.#free.keys()) {
      if (s >= size && s <= 2 * size && (best === undefined || s < best)) best = s;
    }
    if (best === undefined) return undefined;
    const list = this.#free.get(best)!;
    const buffer = list.pop()!;
    if (list.length === 0) this.#free.delete(best);
    this.#freeBytes -= best;
    return buffer;
  }

  /** Drops the oldest free buffers until `extra` more bytes fit; false when they cannot. */
  #trim(extra: number): boolean {
    const room = Math.min(this.maxFreeBytes, HEADROOM * this.#peakOutBytes - this.#outBytes);
    if (extra > room) return false;
    while (this.#freeBytes + extra > room) this.#dropOldest();
    return true;
  }

  #dropOldest(): void {
    const [size, list] = this.#free.entries().next().value as [number, ArrayBuffer[]];
    list.shift();
    if (list.length === 0) this.#free.delete(size);
    this.#freeBytes -= size;
  }
}

/** The pool's memory (free and in use) stays below this multiple of the high-water mark of use. */
const HEADROOM = 1.25;

/** `length` rounded up to one of eight steps per power of two (at least 64 bytes). */
export function classSize(length: number): number {
  if (length <= 64) return 64;
  const step = 2 ** Math.max(3, Math.floor(Math.log2(length - 1)) - 3);
  return Math.ceil(length / step) * step;
}

/** An ArrayBuffer of its own: not zero-filled under Node (the read overwrites it), plain elsewhere. */
function allocate(size: number): ArrayBuffer {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array } }).Buffer;
  return B ? (B.allocUnsafeSlow(size).buffer as ArrayBuffer) : new ArrayBuffer(size);
}
