/**
 * Tensors in native memory: the addon allocates, JavaScript views the block without a copy, and the
 * engine's deterministic release (Tensor.dispose) frees it at once.
 */
import { type DataType, DTYPES, Tensor } from '@onnxstream/core';
import type { NativeBinding } from './binding.js';

/**
 * Buffers of disposed tensors, kept by byte size for the next tensors of that size: making an
 * external ArrayBuffer costs about 3 us, a model allocates the same sizes run after run, and a small
 * model's run makes one per operator. The addon counts them as cached and bounds them with its block
 * cache (`park` says no when there is no room: the buffer is freed then). Unlike a freed one, a
 * parked buffer is not detached: views kept past a tensor's dispose() would see the next tensor's
 * data, which Tensor.dispose() already forbids.
 */
export class BufferPool {
  readonly #native: NativeBinding;
  readonly #parked = new Map<number, ArrayBuffer[]>();

  constructor(native: NativeBinding) {
    this.#native = native;
  }

  take(bytes: number): ArrayBuffer {
    const buffer = this.#parked.get(bytes)?.pop();
    if (!buffer) return this.#native.alloc(bytes);
    this.#native.unpark(buffer);
    return buffer;
  }

  give(buffer: ArrayBuffer): void {
    if (!this.#native.park(buffer)) {
      this.#native.free(buffer);
      return;
    }
    const list = this.#parked.get(buffer.byteLength);
    if (list) list.push(buffer);
    else this.#parked.set(buffer.byteLength, [buffer]);
  }

  /** Frees every parked buffer. */
  clear(): void {
    for (const list of this.#parked.values()) {
      for (const buffer of list) {
        this.#native.unpark(buffer);
        this.#native.free(buffer);
      }
    }
    this.#parked.clear();
  }
}

export function nativeTensor(pool: BufferPool, type: DataType, dims: readonly number[]): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  // Empty tensors own no memory.
  if (count === 0) return Tensor.zeros(type, dims);
  const ctor = DTYPES[type].array;
  if (!ctor) throw new TypeError(`native tensors cannot hold ${type}`);
  const buffer = pool.take(count * DTYPES[type].bytes);
  const t = new Tensor(type, new ctor(buffer, 0, count) as never, dims);
  t.setDisposer(() => pool.give(buffer));
  return t;
}
