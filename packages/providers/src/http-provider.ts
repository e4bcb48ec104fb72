import type { ModelFiles, Tensor, WeightRef, WeightsProvider } from '@onnxstream/core';
import { type DiskPrefetchOptions, DiskPrefetchProvider, type PrefetchStats } from './disk-prefetch.js';
import { type HttpFilesOptions, HttpModelFiles, type HttpStats } from './http-files.js';

export interface HttpProviderOptions extends DiskPrefetchOptions, HttpFilesOptions {
  /**
   * The model folder's URL. The provider then reads weights through its own `files` (pass them to
   * `InferenceSession.create` too, so model.txt comes from there). Without it the provider reads
   * through whatever files the session gives it, e.g. an `HttpModelFiles` or a browser folder.
   */
  url?: string | URL;
  /** Or ready-made files (for example `HttpModelFiles.packed(...)`). */
  files?: HttpModelFiles;
}

export interface HttpProviderStats extends PrefetchStats {
  /** Request counters of the HTTP files, when the provider reads through HttpModelFiles. */
  readonly http?: HttpStats;
}

/**
 * Streams weights from a model served over HTTP: read-ahead in request order (as
 * DiskPrefetchProvider, with a larger default budget of 8 MiB to hide network latency), with the
 * requests bounded, retried and size-checked by `HttpModelFiles`, and optionally cached
 * persistently (`cache`), so that a second visit downloads nothing.
 *
 *   const provider = new HttpProvider({ url: 'https://host/yolov8n/', cache: new CacheStorageStore() });
 *   const session = await InferenceSession.create(
 *     { files: provider.files!, entry: 'model.txt' }, { weightsProvider: provider });
 */
export class HttpProvider implements WeightsProvider {
  readonly name = 'http';
  /** The HTTP files this provider reads (undefined when it reads the session's files). */
  readonly files: HttpModelFiles | undefined;
  readonly #prefetch: DiskPrefetchProvider;
  /** The HTTP files read through, kept after dispose for `stats`. */
  #http: HttpModelFiles | undefined;

  constructor(options: HttpProviderOptions = {}) {
    const { url, files, lookaheadBytes = 8 * 1024 * 1024, plusOneFile, pool, ...http } = options;
    if (url !== undefined && files) throw new Error("HttpProvider: give either 'url' or 'files', not both");
    this.files = files ?? (url !== undefined ? new HttpModelFiles(url, http) : undefined);
    this.#prefetch = new DiskPrefetchProvider({ lookaheadBytes, plusOneFile, pool });
  }

  get lookaheadBytes(): number {
    return this.#prefetch.lookaheadBytes;
  }

  init(files: ModelFiles, weights: readonly WeightRef[] = []): void {
    const used = this.files ?? files;
    if (used instanceof HttpModelFiles) {
      this.#http = used;
      for (const [file, size] of wholeFileSizes(weights)) used.expectSize(file, size);
    }
    this.#prefetch.init(used);
  }

  beginRun(order: readonly WeightRef[]): void {
    this.#prefetch.beginRun(order);
  }

  get(ref: WeightRef): Promise<Tensor> {
    return this.#prefetch.get(ref);
  }

  /** Only the rows asked for: Range requests (or the persistent cache) for those bytes. */
  getRows(ref: WeightRef, rows: Int32Array): Promise<Tensor> {
    return this.#prefetch.getRows(ref, rows);
  }

  release(ref: WeightRef, tensor: Tensor): void {
    this.#prefetch.release(ref, tensor);
  }

  endRun(): Promise<void> {
    return this.#prefetch.endRun();
  }

  get stats(): HttpProviderStats {
    return { ...this.#prefetch.stats, http: this.#http?.stats };
  }

  async dispose(): Promise<void> {
    await this.#prefetch.dispose();
    await this.#http?.flush();
  }
}

/**
 * The sizes weight files must have when the model stores one weight per file (every weight at
 * offset 0, as OnnxStream folders do): each such file is exactly its weight. Models that pack
 * several tensors in a file (ONNX external data) give none: other tensors may follow.
 */
function wholeFileSizes(weights: readonly WeightRef[]): Map<string, number> {
  const sizes = new Map<string, number>();
  if (weights.some((w) => w.offset !== 0)) return sizes;
  const conflicting = new Set<string>();
  for (const w of weights) {
    const s = sizes.get(w.file);
    if (s !== undefined && s !== w.byteLength) conflicting.add(w.file);
    sizes.set(w.file, w.byteLength);
  }
  for (const f of conflicting) sizes.delete(f);
  return sizes;
}
