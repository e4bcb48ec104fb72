/**
 * Where large host buffers (the ones weights are read into) come from. By default they are plain
 * ArrayBuffers, which the garbage collector frees some time after they are dropped and whose pages
 * fault in 4 KiB at a time. A backend with its own memory (the native addon) registers an allocator
 * whose buffers are freed at once and come from its block allocator (huge pages, its reuse cache).
 */
export interface HostAllocator {
  /** A buffer of exactly `bytes` bytes; its content is unspecified. */
  allocate(bytes: number): ArrayBuffer;
  /** Frees a buffer from `allocate` at once; views of it become empty. */
  free(buffer: ArrayBuffer): void;
}

let current: HostAllocator | undefined;

/** Installs (or, with undefined, removes) the allocator for large host buffers. */
export function setHostAllocator(allocator: HostAllocator | undefined): void {
  current = allocator;
}

/** The registered host allocator, if any. */
export function hostAllocator(): HostAllocator | undefined {
  return current;
}
