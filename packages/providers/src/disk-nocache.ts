import {
  type ModelFiles,
  type Tensor,
  type WeightRef,
  type WeightsProvider,
  weightTensor,
} from '@onnxstream/core';
import { readWeightBytes, requireFiles } from './files.js';

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
  #files: ModelFiles | undefined;
  #reads = 0;
  #bytesRead = 0;

  init(files: ModelFiles): void {
    this.#files = files;
  }

  async get(ref: WeightRef): Promise<Tensor> {
    const files = requireFiles(this.#files, this.name);
    this.#reads++;
    const bytes = await readWeightBytes(files, ref);
    this.#bytesRead += bytes.byteLength;
    return weightTensor(ref, bytes);
  }

  get stats(): NoCacheStats {
    return { reads: this.#reads, bytesRead: this.#bytesRead };
  }

  dispose(): void {
    this.#files = undefined;
  }
}
