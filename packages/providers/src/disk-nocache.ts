import type { ModelFiles, Tensor, WeightRef, WeightsProvider } from '@onnxstream/core';
import { BufferPool } from './buffer-pool.js';
import { PooledWeights, ReadCounter, readWeightBytes, requireFiles } from './files.js';

export interface DiskNoCacheOptions {
  /** Where read buffers are recycled (default: a pool of its own). */
  pool?: BufferPool;
}

/** Read counters of a DiskNoCacheProvider since it was created. */
export interface NoCacheStats {
  readonly reads: number;
  readonly bytesRead: number;
}

/**
 * OnnxStream's DiskNoCacheWeightsProvider: every request reads its weight from the model files when
 * the operator asks for it and keeps nothing. Lowest memory, no read-ahead, any request order.
 */
export class DiskNoCacheProvider implements WeightsProvider {
  readonly name = 'nocache';
  /** Not even the next operator's weights early: one operator's weights in memory at a time. */
  readonly readAhead = false;
  #files: ModelFiles | undefined;
  #counter = new ReadCounter();
  #weights: PooledWeights;

  constructor({ pool = new BufferPool() }: DiskNoCacheOptions = {}) {
    this.#weights = new PooledWeights(pool);
  }

  init(files: ModelFiles): void {
    this.#files = files;
  }

  async get(ref: WeightRef): Promise<Tensor> {
    const files = requireFiles(this.#files, this.name);
    const bytes = await this.#counter.counted(readWeightBytes(files, ref, this.#weights.pool));
    return this.#weights.tensor(ref, bytes);
  }

  /** Only the rows asked for (an embedding lookup's, a sliced weight's block), read from the file. */
  getRows(ref: WeightRef, rows: Int32Array): Promise<Tensor> {
    return this.#counter.rows(requireFiles(this.#files, this.name), ref, rows);
  }

  /** The engine is done with `t`: its buffer serves a later read. */
  release(_ref: WeightRef, t: Tensor): void {
    this.#weights.release(t);
  }

  get stats(): NoCacheStats {
    return { reads: this.#counter.reads, bytesRead: this.#counter.bytesRead };
  }

  dispose(): void {
    this.#files = undefined;
    this.#weights.pool.clear();
  }
}
