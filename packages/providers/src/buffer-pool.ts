/**
 * Recycles the buffers weights are read into. Without it every streamed weight is a fresh
 * ArrayBuffer that lingers until the garbage collector runs: tens of MB of dead weights on a
 * conv net, and fragmentation of the native heap that backs them.
 *
 * Buffers are kept in size classes (eight per power of two, so a reused buffer wastes at most
 * 1/8 of its size) and the free ones are bounded by `maxFreeBytes`, oldest dropped first.
 */
export class BufferPool {
  readonly maxFreeBytes: number;
  /** Free buffers by class size; Map order is least recently freed first. */
  #free = new Map<number, ArrayBuffer[]>();
  #freeBytes = 0;
  /** Buffers handed out and not yet given back, so a foreign or twice-given buffer is ignored. */
  #out = new WeakSet<ArrayBuffer>();
  #reuses = 0;
  #allocations = 0;

  constructor(maxFreeBytes = 32 * 1024 * 1024) {
    if (!Number.isFinite(maxFreeBytes) || maxFreeBytes < 0) {
      throw new RangeError(`maxFreeBytes must be a finite number >= 0, got ${maxFreeBytes}`);
    }
    this.maxFreeBytes = maxFreeBytes;
  }

  /** A buffer view of exactly `length` bytes, starting at offset 0 of a buffer of this pool. */
  take(length: number): Uint8Array {
    const size = classSize(length);
    const list = this.#free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.#freeBytes -= size;
      this.#reuses++;
      if (list?.length === 0) this.#free.delete(size);
    } else {
      buffer = allocate(size);
      this.#allocations++;
    }
    this.#out.add(buffer);
    return new Uint8Array(buffer, 0, length);
  }

  /** Returns a buffer from `take` (any view of it); others are ignored. */
  give(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || !this.#out.has(buffer)) return;
    this.#out.delete(buffer);
    const size = buffer.byteLength;
    if (size > this.maxFreeBytes) return;
    while (this.#freeBytes + size > this.maxFreeBytes) this.#dropOldest();
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

  #dropOldest(): void {
    const [size, list] = this.#free.entries().next().value as [number, ArrayBuffer[]];
    list.shift();
    if (list.length === 0) this.#free.delete(size);
    this.#freeBytes -= size;
  }
}

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
