/**
 * Tensors in native memory: the addon allocates, JavaScript views the block without a copy, and the
 * engine's deterministic release (Tensor.dispose) frees it at once.
 */
import { type DataType, DTYPES, Tensor } from '@onnxstream/core';
import type { NativeBinding } from './binding.js';

/**
 * Larger buffers are freed (to the block cache): their tensors' kernels take long enough that a new
 * ArrayBuffer (a few microseconds) does not matter, and parked large blocks took the room the block
 * cache needs for weight buffers and tensors of other sizes (YOLOv8n: twice the page faults).
 */
const MAX_PARKED_BYTES = 1 << 20;

/**
 * Buffers of disposed tensors up to 1 MiB, kept by byte size for the next tensors of that size (or
 * up to half of it, as the block cache reuses its blocks): making an external ArrayBuffer costs
 * about 3 us, a model allocates the same sizes run after run, and a small model's run makes one per
 * operator. The addon counts them as cached and bounds them with its block cache (`park`); without
 * room, the buffers parked longest ago are freed first, as the block cache drops its oldest blocks.
 * Unlike a freed one, a parked buffer is not detached: views kept past a tensor's dispose() would see
 * the next tensor's data, which Tensor.dispose() already forbids.
 */
export class BufferPool {
  readonly #native: NativeBinding;
  readonly #bySize = new Map<number, ArrayBuffer[]>();
  /** Every parked buffer, oldest first. */
  readonly #order = new Set<ArrayBuffer>();

  constructor(native: NativeBinding) {
    this.#native = native;
  }

  /**
   * A buffer of at least `bytes`: a parked one of that size, else of at most twice it, else a new
   * one; `lasting`: parked ones of that size only, else a new one of its size (NativeBinding.alloc).
   */
  take(bytes: number, lasting = false): ArrayBuffer {
    const buffer = this.#bySize.get(bytes)?.pop() ?? (lasting ? undefined : this.#larger(bytes));
    if (!buffer) return this.#native.alloc(bytes, lasting);
    this.#order.delete(buffer);
    this.#native.unpark(buffer);
    return buffer;
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength > MAX_PARKED_BYTES) {
      this.#native.free(buffer);
      return;
    }
    while (!this.#native.park(buffer)) {
      const oldest = this.#order.values().next();
      if (oldest.done) {
        this.#native.free(buffer);
        return;
      }
      this.#drop(oldest.value);
    }
    this.#order.add(buffer);
    const list = this.#bySize.get(buffer.byteLength);
    if (list) list.push(buffer);
    else this.#bySize.set(buffer.byteLength, [buffer]);
  }

  /** Frees every parked buffer. */
  clear(): void {
    for (const buffer of this.#order) this.#drop(buffer);
  }

  /** The smallest parked buffer of (bytes, 2 * bytes], as the block cache picks its blocks, most recent among equals. */
  #larger(bytes: number): ArrayBuffer | undefined {
    let best: ArrayBuffer[] | undefined;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const [size, list] of this.#bySize) {
      if (size > bytes && size <= 2 * bytes && size < bestSize && list.length > 0) {
        best = list;
        bestSize = size;
      }
    }
    return best?.pop();
  }

  #drop(buffer: ArrayBuffer): void {
    const list = this.#bySize.get(buffer.byteLength)!;
    list.splice(list.indexOf(buffer), 1);
    this.#order.delete(buffer);
    this.#native.unpark(buffer);
    this.#native.free(buffer);
  }
}

/** A tensor in native memory; `lasting` ones (kept weights) get a block of their own size, not a pooled one. */
export function nativeTensor(
  pool: BufferPool,
  type: DataType,
  dims: readonly number[],
  lasting = false,
): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  // Empty tensors own no memory.
  if (count === 0) return Tensor.zeros(type, dims);
  const ctor = DTYPES[type].array;
  if (!ctor) throw new TypeError(`native tensors cannot hold ${type}`);
  const buffer = pool.take(count * DTYPES[type].bytes, lasting);
  const t = new Tensor(type, new ctor(buffer, 0, count) as never, dims);
  t.setDisposer(() => pool.give(buffer));
  return t;
}
