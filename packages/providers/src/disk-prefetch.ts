import type { ModelFiles, Tensor, WeightRef, WeightsProvider } from '@onnxstream/core';
import { BufferPool } from './buffer-pool.js';
import { PooledWeights, ReadCounter, readWeightBytes, requireFiles } from './files.js';

export interface DiskPrefetchOptions {
  /** Budget for prefetched weights not yet handed to the engine, in bytes (default 1 MiB). */
  lookaheadBytes?: number;
  /**
   * Let one weight cross the budget (default true), as OnnxStream's `limit_plus_one_file`: a weight
   * larger than the budget is still read ahead. Without it such a weight is read when requested.
   */
  plusOneFile?: boolean;
  /** Where read buffers are recycled (default: a pool of its own). */
  pool?: BufferPool;
}

/** Counters of a DiskPrefetchProvider since it was created. */
export interface PrefetchStats {
  /** `ModelFiles.read` calls, prefetches and direct reads together. */
  readonly reads: number;
  readonly bytesRead: number;
  /** Prefetched bytes not yet handed to a request, now. */
  readonly heldBytes: number;
  /** The most prefetched-but-unrequested bytes held at once: at most `lookaheadBytes` plus one weight. */
  readonly peakHeldBytes: number;
  /** Requests served by a prefetch (finished or still loading). */
  readonly hits: number;
  /** Requests that needed a direct read: not read ahead, evicted, or not in the announced order. */
  readonly misses: number;
  /** Prefetched weights dropped unused because the requests had moved past them. */
  readonly evictions: number;
}

interface Prefetch {
  /** Position in the run's order. */
  readonly index: number;
  readonly ref: WeightRef;
  readonly bytes: Promise<Uint8Array>;
}

/**
 * OnnxStream's DiskPrefetchWeightsProvider, the default: after `beginRun(order)` it reads weights
 * ahead in request order with asynchronous reads that overlap compute, holding at most
 * `lookaheadBytes` (plus one weight) that the engine has not requested yet.
 *
 * Unlike OnnxStream it accepts any request order: a request that is not the next expected one is
 * served from the prefetched set when there, else by a direct read, and read-ahead continues after
 * that request's position in the order.
 */
export class DiskPrefetchProvider implements WeightsProvider {
  readonly name = 'prefetch';
  readonly lookaheadBytes: number;
  readonly plusOneFile: boolean;
  #files: ModelFiles | undefined;
  /** This run's request order and, per weight name, its positions in it (ascending). */
  #order: readonly WeightRef[] = [];
  #positions = new Map<string, number[]>();
  /** Positions already requested (1) this run. */
  #taken = new Uint8Array(0);
  /** Position of the request expected next. */
  #next = 0;
  /** Where read-ahead continues (never behind #next); positions taken or held are skipped. */
  #ahead = 0;
  /** Prefetched weights not yet handed out, keyed by position; insertion order is oldest first. */
  #held = new Map<number, Prefetch>();
  #heldBytes = 0;
  /** Reads not yet settled, so endRun leaves no I/O running. */
  #pending = new Set<Promise<unknown>>();
  #counter = new ReadCounter();
  #peakHeldBytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #weights: PooledWeights;

  constructor({
    lookaheadBytes = 1024 * 1024,
    plusOneFile = true,
    pool = new BufferPool(),
  }: DiskPrefetchOptions = {}) {
    if (!Number.isFinite(lookaheadBytes) || lookaheadBytes < 0) {
      throw new RangeError(`lookaheadBytes must be a finite number >= 0, got ${lookaheadBytes}`);
    }
    this.lookaheadBytes = lookaheadBytes;
    this.plusOneFile = plusOneFile;
    this.#weights = new PooledWeights(pool);
  }

  init(files: ModelFiles): void {
    this.#files = files;
  }

  beginRun(order: readonly WeightRef[]): void {
    requireFiles(this.#files, this.name);
    this.#drop();
    this.#order = order;
    this.#taken = new Uint8Array(order.length);
    order.forEach((ref, i) => {
      const list = this.#positions.get(ref.name);
      if (list) list.push(i);
      else this.#positions.set(ref.name, [i]);
    });
    this.#pump();
  }

  async get(ref: WeightRef): Promise<Tensor> {
    // #take runs at call time, so requests issued together (Promise.all) are taken in call order.
    const bytes = this.#take(ref);
    return this.#weights.tensor(ref, await bytes);
  }

  /**
   * Only the rows asked for (an embedding lookup's, a sliced weight's block), read from the file
   * (never read ahead).
   */
  getRows(ref: WeightRef, rows: Int32Array): Promise<Tensor> {
    return this.#counter.rows(requireFiles(this.#files, this.name), ref, rows);
  }

  /** The engine is done with `t`: its buffer serves a later read. */
  release(_ref: WeightRef, t: Tensor): void {
    this.#weights.release(t);
  }

  /** Cancels read-ahead, frees the prefetched buffers and waits for reads already started. */
  async endRun(): Promise<void> {
    this.#drop();
    await Promise.all(this.#pending);
  }

  get stats(): PrefetchStats {
    return {
      reads: this.#counter.reads,
      bytesRead: this.#counter.bytesRead,
      heldBytes: this.#heldBytes,
      peakHeldBytes: this.#peakHeldBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  async dispose(): Promise<void> {
    await this.endRun();
    this.#files = undefined;
    this.#weights.pool.clear();
  }

  /** Serves one request and resynchronises read-ahead on the request's position in the order. */
  #take(ref: WeightRef): Promise<Uint8Array> {
    const files = requireFiles(this.#files, this.name);
    const at = this.#claim(ref.name);
    const hit = (at === undefined ? undefined : this.#held.get(at)) ?? this.#heldNamed(ref.name);
    let bytes: Promise<Uint8Array>;
    if (hit) {
      this.#release(hit);
      this.#hits++;
      bytes = hit.bytes;
    } else {
      this.#misses++;
      bytes = this.#read(files, ref);
    }
    this.#pump();
    return bytes;
  }

  /**
   * Marks the request's position in the order as taken: the first free position of that name from
   * the expected one on, else the first free one. Undefined for a weight the order does not list (or
   * lists fewer times than requested).
   */
  #claim(name: string): number | undefined {
    const list = this.#positions.get(name);
    const at = list?.find((i) => i >= this.#next && !this.#taken[i]) ?? list?.find((i) => !this.#taken[i]);
    if (at === undefined) return undefined;
    this.#taken[at] = 1;
    // After a backward jump read-ahead restarts right after the request: positions it skipped may be next.
    this.#ahead = at < this.#next ? at + 1 : Math.max(this.#ahead, at + 1);
    this.#next = at + 1;
    return at;
  }

  #heldNamed(name: string): Prefetch | undefined {
    for (const p of this.#held.values()) if (p.ref.name === name) return p;
    return undefined;
  }

  /** Starts reads in request order while the budget allows. */
  #pump(): void {
    const files = this.#files;
    if (!files) return;
    for (; this.#ahead < this.#order.length; this.#ahead++) {
      if (this.#taken[this.#ahead] || this.#held.has(this.#ahead)) continue;
      const ref = this.#order[this.#ahead];
      while (!this.#fits(ref.byteLength)) if (!this.#evictStale()) return;
      this.#held.set(this.#ahead, { index: this.#ahead, ref, bytes: this.#read(files, ref) });
      this.#heldBytes += ref.byteLength;
      this.#peakHeldBytes = Math.max(this.#peakHeldBytes, this.#heldBytes);
    }
  }

  /** Within the budget, or the one weight allowed to cross it (so peak <= budget + one weight). */
  #fits(size: number): boolean {
    if (this.#heldBytes + size <= this.lookaheadBytes) return true;
    return this.plusOneFile && this.#heldBytes <= this.lookaheadBytes;
  }

  /** Frees the oldest prefetched weight the requests have moved past; false when there is none. */
  #evictStale(): boolean {
    for (const p of this.#held.values()) {
      if (p.index < this.#next) {
        this.#release(p);
        this.#recycle(p);
        this.#evictions++;
        return true;
      }
    }
    return false;
  }

  #release(p: Prefetch): void {
    this.#held.delete(p.index);
    this.#heldBytes -= p.ref.byteLength;
  }

  #read(files: ModelFiles, ref: WeightRef): Promise<Uint8Array> {
    const bytes = this.#counter.counted(readWeightBytes(files, ref, this.#weights.pool));
    // Tracking also handles the rejection of a prefetch nobody requests: its error surfaces only on
    // the request that takes it, never as an unhandled rejection.
    const settled: Promise<void> = bytes.then(noop, noop).finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
    return bytes;
  }

  /** Gives an unused prefetch's buffer back to the pool once its read is done. */
  #recycle(p: Prefetch): void {
    p.bytes.then((b) => this.#weights.pool.give(b.buffer), noop);
  }

  #drop(): void {
    for (const p of this.#held.values()) this.#recycle(p);
    this.#order = [];
    this.#taken = new Uint8Array(0);
    this.#positions.clear();
    this.#next = 0;
    this.#ahead = 0;
    this.#held.clear();
    this.#heldBytes = 0;
  }
}

function noop(): void {}
