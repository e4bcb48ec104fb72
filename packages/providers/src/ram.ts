import {
  type ModelFiles,
  type Tensor,
  takeWeightRows,
  type WeightRef,
  type WeightsProvider,
} from '@onnxstream/core';
import { DiskPrefetchProvider } from './disk-prefetch.js';

export interface RamOptions {
  /** Where weights are read the first time (default: a DiskPrefetchProvider with its defaults). */
  source?: WeightsProvider;
  /** Keep the engine's converted form of a weight offered through `update` (default true). */
  keepConverted?: boolean;
}

/** What a RamProvider holds in memory. */
export interface RamStats {
  readonly weights: number;
  readonly bytes: number;
}

/**
 * OnnxStream's RamWeightsProvider: the first run reads every weight through `source` and keeps it by
 * name; later runs are served from RAM without touching the model files. Trades memory (all the
 * streamed weights) for speed on repeated runs.
 */
export class RamProvider implements WeightsProvider {
  readonly name = 'ram';
  readonly source: WeightsProvider;
  readonly keepConverted: boolean;
  #weights: readonly WeightRef[] | undefined;
  /** By weight name: the tensor, or its read while in flight (so a name is read once per session). */
  #cache = new Map<string, Tensor | Promise<Tensor>>();
  #sourceRun = false;

  constructor({ source = new DiskPrefetchProvider(), keepConverted = true }: RamOptions = {}) {
    this.source = source;
    this.keepConverted = keepConverted;
  }

  init(files: ModelFiles, weights: readonly WeightRef[]): Promise<void> | void {
    this.#weights = weights;
    return this.source.init?.(files, weights);
  }

  beginRun(order: readonly WeightRef[]): void {
    this.#beginSource(this.#missing(order));
  }

  get(ref: WeightRef): Promise<Tensor> {
    const cached = this.#cache.get(ref.name);
    if (cached) return Promise.resolve(cached);
    const read = this.source.get(ref);
    this.#cache.set(ref.name, read);
    read.then(
      (t) => {
        if (this.#cache.get(ref.name) === read) this.#cache.set(ref.name, t);
      },
      () => {
        // A failed read is not cached: the next request tries again.
        if (this.#cache.get(ref.name) === read) this.#cache.delete(ref.name);
      },
    );
    return read;
  }

  held(ref: WeightRef): Tensor | undefined {
    const cached = this.#cache.get(ref.name);
    return cached instanceof Promise ? undefined : cached;
  }

  /**
   * Rows of a weight kept whole in RAM (read through the source on first use, like `get`), so later
   * runs touch no file.
   */
  async getRows(ref: WeightRef, rows: Int32Array): Promise<Tensor> {
    return takeWeightRows(await this.get(ref), rows);
  }

  async endRun(): Promise<void> {
    if (!this.#sourceRun) return;
    this.#sourceRun = false;
    await this.source.endRun?.();
  }

  /** A tensor RAM does not keep (replaced by its converted form) goes back to the source. */
  release(ref: WeightRef, t: Tensor): void {
    if (this.#cache.get(ref.name) !== t) this.source.release?.(ref, t);
  }

  keeps(): boolean {
    return this.keepConverted;
  }

  update(ref: WeightRef, converted: Tensor): boolean {
    if (this.keepConverted) this.#cache.set(ref.name, converted);
    return this.keepConverted;
  }

  /** Reads every weight of the model into RAM now, so even the first run does no file I/O. */
  async preload(): Promise<void> {
    if (!this.#weights) throw new Error(`weights provider '${this.name}': preload() needs init() first`);
    if (!this.#beginSource(this.#missing(this.#weights))) return;
    try {
      for (const ref of this.#missing(this.#weights)) await this.get(ref);
    } finally {
      await this.endRun();
    }
  }

  get stats(): RamStats {
    let weights = 0;
    let bytes = 0;
    for (const t of this.#cache.values()) {
      if (t instanceof Promise) continue;
      weights++;
      bytes += t.byteLength;
    }
    return { weights, bytes };
  }

  async dispose(): Promise<void> {
    this.#cache.clear();
    await this.source.dispose?.();
  }

  /** Starts a source run for the weights not in RAM yet; false when there are none. */
  #beginSource(missing: readonly WeightRef[]): boolean {
    if (missing.length === 0) return false;
    this.source.beginRun?.(missing);
    this.#sourceRun = true;
    return true;
  }

  /** The first occurrence of each name not cached (nor being read), in order. */
  #missing(refs: readonly WeightRef[]): WeightRef[] {
    const seen = new Set<string>();
    const out: WeightRef[] = [];
    for (const ref of refs) {
      if (this.#cache.has(ref.name) || seen.has(ref.name)) continue;
      seen.add(ref.name);
      out.push(ref);
    }
    return out;
  }
}
