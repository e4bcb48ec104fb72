import type { ModelFiles, Tensor, WeightRef, WeightsProvider } from '@onnxstream/core';
import { BufferPool } from './buffer-pool.js';
import { PooledWeights, ReadCounter, readWeightBytes, requireFiles, weightReadError } from './files.js';

/**
 * Weights read ahead at once that lie next to each other in one file (an .onnx file's initializers,
 * at most SPAN_GAP_BYTES apart) are read together, in one read of at most SPAN_BYTES: a read is a trip
 * through the I/O threads, and over HTTP a request. (UltraFace from a local disk: 19 reads a run
 * instead of 87, the run's time unchanged within noise; over HTTP with an 8 MiB budget 2 requests.)
 */
const SPAN_GAP_BYTES = 4096;
const SPAN_BYTES = 1 << 20;

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

  /**
   * Starts reads in request order while the budget allows: the weights read ahead at once are read
   * in as few reads as their places in the files allow (spans).
   */
  #pump(): void {
    const files = this.#files;
    if (!files) return;
    const batch: number[] = [];
    for (; this.#ahead < this.#order.length; this.#ahead++) {
      if (this.#taken[this.#ahead] || this.#held.has(this.#ahead)) continue;
      const size = this.#order[this.#ahead].byteLength;
      let fits = this.#fits(size);
      while (!fits && this.#evictStale()) fits = this.#fits(size);
      if (!fits) break;
      batch.push(this.#ahead);
      this.#heldBytes += size;
      this.#peakHeldBytes = Math.max(this.#peakHeldBytes, this.#heldBytes);
    }
    const bytes = new Map<number, Promise<Uint8Array>>();
    for (const span of this.#spans(batch)) {
      const head = this.#order[span[0]];
      if (span.length === 1) {
        bytes.set(span[0], this.#read(files, head));
        continue;
      }
      const last = this.#order[span[span.length - 1]];
      const end = last.offset + last.byteLength;
      const whole = this.#readSpan(files, head, end - head.offset);
      for (const i of span) bytes.set(i, this.#slice(whole, head.offset, this.#order[i]));
      // Registered after the slices' copies, so it runs after them.
      whole.then((b) => this.#weights.pool.give(b.buffer), noop);
    }
    for (const index of batch)
      this.#held.set(index, { index, ref: this.#order[index], bytes: bytes.get(index)! });
  }

  /**
   * Positions grouped by file and place: by offset, each group's weights after the previous one's
   * end by at most SPAN_GAP_BYTES, and SPAN_BYTES in all. A weight the order lists twice is read
   * twice, once per request, as OnnxStream does.
   */
  #spans(batch: readonly number[]): number[][] {
    const sorted = [...batch].sort((a, b) => {
      const x = this.#order[a];
      const y = this.#order[b];
      return x.file < y.file ? -1 : x.file > y.file ? 1 : x.offset - y.offset;
    });
    const spans: number[][] = [];
    let span: number[] = [];
    let start = 0;
    let end = 0;
    for (const i of sorted) {
      const ref = this.#order[i];
      const joins =
        span.length > 0 &&
        ref.file === this.#order[span[0]].file &&
        ref.offset >= end &&
        ref.offset <= end + SPAN_GAP_BYTES &&
        ref.offset + ref.byteLength - start <= SPAN_BYTES;
      if (!joins) {
        if (span.length > 0) spans.push(span);
        span = [];
        start = ref.offset;
        end = ref.offset;
      }
      span.push(i);
      end = ref.offset + ref.byteLength;
    }
    if (span.length > 0) spans.push(span);
    // Started in the order their first weight is requested: the next request's read goes first.
    const first = (positions: readonly number[]) => positions.reduce((a, b) => Math.min(a, b));
    return spans.sort((a, b) => first(a) - first(b));
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
    return this.#tracked(this.#counter.counted(readWeightBytes(files, ref, this.#weights.pool)));
  }

  /**
   * `bytes`, tracked until settled (endRun waits for it). Tracking also handles the rejection of a
   * prefetch nobody requests: its error surfaces only on the request that takes it, never as an
   * unhandled rejection.
   */
  #tracked(bytes: Promise<Uint8Array>): Promise<Uint8Array> {
    const settled: Promise<void> = bytes.then(noop, noop).finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
    return bytes;
  }

  /** `length` bytes of `head`'s file from `head`'s offset, in one read (counted once). */
  #readSpan(files: ModelFiles, head: WeightRef, length: number): Promise<Uint8Array> {
    const pool = this.#weights.pool;
    const into = pool.take(length);
    const bytes = this.#counter.counted(files.read(head.file, head.offset, length, into));
    bytes.catch(() => pool.give(into.buffer));
    return bytes;
  }

  /**
   * `ref`'s bytes out of a span read starting at file offset `start`, in a buffer of their own (the
   * span's offsets keep no alignment, and each weight goes back to the pool on its own).
   */
  #slice(whole: Promise<Uint8Array>, start: number, ref: WeightRef): Promise<Uint8Array> {
    const pool = this.#weights.pool;
    return this.#tracked(
      whole.then(
        (span) => {
          const own = pool.take(ref.byteLength);
          own.set(span.subarray(ref.offset - start, ref.offset - start + ref.byteLength));
          return own;
        },
        (e: unknown) => {
          throw weightReadError(ref, e);
        },
      ),
    );
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
