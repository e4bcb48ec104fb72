/** Helpers shared by the providers that read weights from a model's files. */
import {
  errorMessage,
  type ModelFiles,
  readWeightRows,
  type Tensor,
  type WeightRef,
  WeightsError,
  weightTensor,
} from '@onnxstream/core';
import type { BufferPool } from './buffer-pool.js';

/** The files a provider got from `init`; a clear error when it is used before (or after `dispose`). */
export function requireFiles(files: ModelFiles | undefined, provider: string): ModelFiles {
  if (!files) {
    throw new WeightsError(
      `weights provider '${provider}' has no model files: init() was not called (pass it to InferenceSession.create)`,
    );
  }
  return files;
}

/**
 * Reads one weight's bytes through the sandboxed ModelFiles (which refuses paths leaving the model
 * folder). Failures name the weight and its file, since low-level I/O errors may not.
 */
export async function readWeightBytes(
  files: ModelFiles,
  ref: WeightRef,
  pool?: BufferPool,
): Promise<Uint8Array> {
  const into = pool?.take(ref.byteLength);
  try {
    return await files.read(ref.file, ref.offset, ref.byteLength, into);
  } catch (e) {
    if (into) pool?.give(into.buffer);
    throw weightReadError(ref, e);
  }
}

/** The error for a weight whose bytes could not be read: it names the weight and its file. */
export function weightReadError(ref: WeightRef, cause: unknown): WeightsError {
  return new WeightsError(`cannot read weight '${ref.name}' from '${ref.file}': ${errorMessage(cause)}`, {
    cause,
  });
}

/**
 * Weight tensors over pooled read buffers: `tensor` makes the tensor and remembers which buffer it
 * views (or gives the buffer straight back when the tensor is a copy, e.g. a transposed layout);
 * `release` returns that buffer to the pool.
 */
export class PooledWeights {
  readonly pool: BufferPool;
  #buffers = new WeakMap<Tensor, ArrayBufferLike>();

  constructor(pool: BufferPool) {
    this.pool = pool;
  }

  tensor(ref: WeightRef, bytes: Uint8Array): Tensor {
    const t = weightTensor(ref, bytes);
    if (viewsBuffer(t, bytes.buffer)) this.#buffers.set(t, bytes.buffer);
    else this.pool.give(bytes.buffer);
    return t;
  }

  release(t: Tensor): void {
    const buffer = this.#buffers.get(t);
    if (!buffer) return;
    this.#buffers.delete(t);
    this.pool.give(buffer);
  }
}

function viewsBuffer(t: Tensor, buffer: ArrayBufferLike): boolean {
  const data: unknown = t.data;
  return ArrayBuffer.isView(data) && data.buffer === buffer;
}

/** A disk provider's read counters: a read counts when it starts, its bytes when it completes. */
export class ReadCounter {
  reads = 0;
  bytesRead = 0;

  counted<T extends { byteLength: number }>(read: Promise<T>): Promise<T> {
    this.reads++;
    return read.then((r) => {
      this.bytesRead += r.byteLength;
      return r;
    });
  }

  /** Only the rows asked for (an embedding lookup's, a sliced weight's block), read from the file. */
  rows(files: ModelFiles, ref: WeightRef, rows: Int32Array): Promise<Tensor> {
    return this.counted(readWeightRows(files, ref, rows));
  }
}
