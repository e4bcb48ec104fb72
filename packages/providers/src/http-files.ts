/**
 * Model files served over HTTP: a model folder (one GET per file, Range requests for parts of a
 * file) or one packed file holding them all (Range requests at each file's offset). Requests are
 * bounded in number, retried with exponential backoff, checked against the sizes the model expects,
 * and optionally stored in a persistent ByteStore.
 */
import {
  alignedBytes,
  checkRelativePath,
  errorMessage,
  type ModelFiles,
  WeightsError,
} from '@onnxstream/core';
import type { ByteStore } from './byte-store.js';

export interface HttpFilesOptions {
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Requests in flight at once (default 6, a browser's per-host limit over HTTP/1.1). */
  concurrency?: number;
  /** Retries of a failed request: network errors, 408/425/429/5xx and truncated bodies (default 4). */
  retries?: number;
  /** First retry delay in ms, doubled on each retry, with jitter (default 250). */
  retryDelayMs?: number;
  /** Upper bound of a retry delay, `Retry-After` included (default 8000). */
  maxRetryDelayMs?: number;
  /** Extra request headers (e.g. authorization). */
  headers?: Readonly<Record<string, string>>;
  /** Persistent cache: every verified download is stored there and read back before any request. */
  cache?: ByteStore;
  /** Progress of downloads and cache reads. */
  onProgress?: (e: HttpProgress) => void;
  /** Aborts every request (pending and future). */
  signal?: AbortSignal;
}

/** Where the model's files live inside one packed file: path to byte range. */
export type PackIndex = Readonly<Record<string, { readonly offset: number; readonly size: number }>>;

export interface HttpProgress {
  /** The file this event is about. */
  readonly path: string;
  /** Bytes of this read received so far, and its length. */
  readonly loaded: number;
  readonly length: number;
  readonly fromCache: boolean;
  /** Totals since the files were created. */
  readonly stats: HttpStats;
}

export interface HttpStats {
  /** HTTP requests sent (retries included). */
  readonly requests: number;
  readonly retries: number;
  /** Payload bytes received from the network. */
  readonly bytesDownloaded: number;
  /** Reads and size look-ups answered by the persistent cache, and the bytes they returned. */
  readonly cacheHits: number;
  readonly bytesFromCache: number;
  /** Requests running now, and the most at once. */
  readonly inFlight: number;
  readonly peakInFlight: number;
}

interface Location {
  readonly url: string;
  /** Start of the file inside `url` (packed files). */
  readonly base: number;
  /** Known size (packed index), else undefined. */
  readonly size?: number;
}

/** A failure worth retrying (network, 5xx, truncated body). */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

interface Pack {
  readonly url: string;
  readonly index: ReadonlyMap<string, { readonly offset: number; readonly size: number }>;
}

/** Key of the pack description `HttpModelFiles.packed` hands its constructor. */
const PACK = Symbol('pack');
type InternalOptions = HttpFilesOptions & { [PACK]?: Pack };

/**
 * ModelFiles over HTTP. `new HttpModelFiles(url)` reads a model folder served as is (the folder's URL,
 * e.g. `https://host/models/yolov8n/`); `HttpModelFiles.packed(url, index)` reads files out of one
 * packed file with Range requests. Paths are sandboxed like on disk: no '..', no absolute paths.
 *
 *   const files = new HttpModelFiles('https://host/yolov8n/', { cache: new CacheStorageStore() });
 *   const session = await InferenceSession.create({ files, entry: 'model.txt' }, { weightsProvider });
 */
export class HttpModelFiles implements ModelFiles {
  readonly root: string;
  readonly #base: URL;
  readonly #pack: Pack | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #concurrency: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #cache: ByteStore | undefined;
  readonly #onProgress: ((e: HttpProgress) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  /** Sizes learnt so far by path; -1 for a file that does not exist. */
  readonly #sizes = new Map<string, Promise<number>>();
  /** Exact sizes files must have (declared by the provider from the model's weights). */
  readonly #expected = new Map<string, number>();
  readonly #waiting: (() => void)[] = [];
  readonly #writes = new Set<Promise<void>>();
  #inFlight = 0;
  #peakInFlight = 0;
  #requests = 0;
  #retriesDone = 0;
  #bytesDownloaded = 0;
  #cacheHits = 0;
  #bytesFromCache = 0;

  constructor(url: string | URL, options: HttpFilesOptions = {}) {
    const pack = (options as InternalOptions)[PACK];
    this.#base = folderUrl(url);
    this.root = pack?.url ?? this.#base.href;
    this.#pack = pack;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#concurrency = positiveInt(options.concurrency ?? 6, 'concurrency');
    this.#retries = Math.max(0, Math.floor(options.retries ?? 4));
    this.#retryDelayMs = Math.max(0, options.retryDelayMs ?? 250);
    this.#maxRetryDelayMs = Math.max(this.#retryDelayMs, options.maxRetryDelayMs ?? 8000);
    this.#headers = options.headers ?? {};
    this.#cache = options.cache;
    this.#onProgress = options.onProgress;
    this.#signal = options.signal;
  }

  /**
   * Files inside one packed file at `url` (every file's bytes back to back, any order), located by
   * `index`; each read is one Range request. The server should support Range requests (one that
   * ignores them still works, sending the pack from its start each time).
   */
  static packed(url: string | URL, index: PackIndex, options: HttpFilesOptions = {}): HttpModelFiles {
    const packUrl = new URL(url, globalThis.location?.href).href;
    const map = new Map<string, { offset: number; size: number }>();
    for (const [path, e] of Object.entries(index)) {
      if (!(Number.isSafeInteger(e.offset) && e.offset >= 0 && Number.isSafeInteger(e.size) && e.size >= 0)) {
        throw new RangeError(`pack index entry '${path}' has an invalid offset or size`);
      }
      map.set(checkRelativePath(path, packUrl), { offset: e.offset, size: e.size });
    }
    const internal: InternalOptions = { ...options, [PACK]: { url: packUrl, index: map } };
    return new HttpModelFiles(new URL('./', packUrl), internal);
  }

  get stats(): HttpStats {
    return {
      requests: this.#requests,
      retries: this.#retriesDone,
      bytesDownloaded: this.#bytesDownloaded,
      cacheHits: this.#cacheHits,
      bytesFromCache: this.#bytesFromCache,
      inFlight: this.#inFlight,
      peakInFlight: this.#peakInFlight,
    };
  }

  /**
   * Declares the exact size of a file (e.g. a weight's `.bin` file in an OnnxStream folder): a
   * download of it whose Content-Length or Content-Range total differs fails its integrity check.
   * `HttpProvider` declares every weight file of a model that stores one weight per file.
   */
  expectSize(path: string, size: number): void {
    this.#expected.set(checkRelativePath(path, this.root), size);
  }

  /** The URL a model path is read from (after the sandbox checks). */
  urlOf(path: string): string {
    return this.#locate(path).url;
  }

  async size(path: string): Promise<number> {
    const size = await this.#sizeOf(checkRelativePath(path, this.root));
    if (size < 0) throw new WeightsError(`file '${path}' not found at ${this.root}`);
    return size;
  }

  async exists(path: string): Promise<boolean> {
    let rel: string;
    try {
      rel = checkRelativePath(path, this.root);
    } catch {
      return false;
    }
    return (await this.#sizeOf(rel)) >= 0;
  }

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const rel = checkRelativePath(path, this.root);
    if (into && into.byteLength !== length) {
      throw new RangeError(`read target holds ${into.byteLength} bytes, the read is ${length}`);
    }
    if (!(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0)) {
      throw new RangeError(`invalid read of '${path}': offset ${offset}, length ${length}`);
    }
    const loc = this.#locate(rel);
    if (loc.size !== undefined && offset + length > loc.size)
      throw this.#tooShort(rel, offset, length, loc.size);
    const out = into ?? alignedBytes(length);
    if (length === 0) return out;
    const key = `${loc.url}@${loc.base + offset}+${length}`;
    if (await this.#fromCache(rel, key, out)) return out;
    await this.#download(rel, loc, offset, length, out);
    this.#store(key, out);
    return out;
  }

  /** Waits for the cache writes started so far. */
  async flush(): Promise<void> {
    while (this.#writes.size) await Promise.all(this.#writes);
  }

  async close(): Promise<void> {
    await this.flush();
  }

  #locate(rel: string): Location {
    const pack = this.#pack;
    if (pack) {
      const e = pack.index.get(rel);
      if (!e) throw new WeightsError(`file '${rel}' is not in the pack ${pack.url}`);
      return { url: pack.url, base: e.offset, size: e.size };
    }
    const url = new URL(rel.split('/').map(encodeURIComponent).join('/'), this.#base).href;
    if (!url.startsWith(this.#base.href)) {
      throw new WeightsError(`path '${rel}' refused: it would leave the model folder ${this.root}`);
    }
    return { url, base: 0 };
  }

  #tooShort(rel: string, offset: number, length: number, size: number): WeightsError {
    return new WeightsError(
      `file '${rel}' in ${this.root} is too short: need bytes ${offset}..${offset + length}, it has ${size}`,
    );
  }

  // ---- sizes -------------------------------------------------------------------------------

  #sizeOf(rel: string): Promise<number> {
    let p = this.#sizes.get(rel);
    if (!p) {
      p = this.#lookUpSize(rel);
      this.#sizes.set(rel, p);
      p.catch(() => this.#sizes.delete(rel));
    }
    return p;
  }

  async #lookUpSize(rel: string): Promise<number> {
    let loc: Location;
    try {
      loc = this.#locate(rel);
    } catch (e) {
      if (this.#pack) return -1;
      throw e;
    }
    if (loc.size !== undefined) return loc.size;
    const key = `size:${loc.url}`;
    const cached = await this.#cacheGet(key);
    if (cached && cached.byteLength === 8) {
      this.#cacheHits++;
      return new DataView(cached.buffer, cached.byteOffset, 8).getFloat64(0, true);
    }
    const size = await this.#withRetries(rel, (signal) => this.#head(rel, loc.url, signal));
    const record = new Uint8Array(8);
    new DataView(record.buffer).setFloat64(0, size, true);
    this.#store(key, record);
    return size;
  }

  /** Size by HEAD (Content-Length), else by a one-byte Range GET (Content-Range); -1 when absent. */
  async #head(rel: string, url: string, signal: AbortSignal | undefined): Promise<number> {
    const head = await this.#request(url, 'HEAD', undefined, signal);
    if (head.status === 404 || head.status === 410) return -1;
    checkStatus(rel, url, head);
    const length = contentLength(head);
    if (head.ok && length !== undefined && !encoded(head)) return length;
    const probe = await this.#request(url, 'GET', 'bytes=0-0', signal);
    try {
      if (probe.status === 404 || probe.status === 410) return -1;
      if (probe.status === 416) return 0;
      checkStatus(rel, url, probe);
      if (probe.status === 206) {
        const range = contentRange(probe);
        if (range?.total !== undefined) return range.total;
      }
      // No usable size header: count the body.
      let n = 0;
      const reader = probe.body?.getReader();
      if (reader) {
        for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.byteLength;
      }
      return probe.status === 206 ? -1 : n;
    } finally {
      await probe.body?.cancel().catch(() => {});
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  async #fromCache(rel: string, key: string, out: Uint8Array): Promise<boolean> {
    const hit = await this.#cacheGet(key);
    if (!hit) return false;
    if (hit.byteLength !== out.byteLength) {
      // A damaged entry: drop it and download again.
      await this.#cache?.delete(key).catch(() => {});
      return false;
    }
    out.set(hit);
    this.#cacheHits++;
    this.#bytesFromCache += hit.byteLength;
    this.#progress(rel, out.byteLength, out.byteLength, true);
    return true;
  }

  async #cacheGet(key: string): Promise<Uint8Array | undefined> {
    if (!this.#cache) return undefined;
    try {
      return await this.#cache.get(key);
    } catch {
      return undefined;
    }
  }

  /** Stores a copy in the background; a failure only costs a download next time. */
  #store(key: string, bytes: Uint8Array): void {
    const cache = this.#cache;
    if (!cache) return;
    const w: Promise<void> = cache
      .put(key, bytes.slice())
      .catch(() => {})
      .finally(() => this.#writes.delete(w));
    this.#writes.add(w);
  }

  async #download(
    rel: string,
    loc: Location,
    offset: number,
    length: number,
    out: Uint8Array,
  ): Promise<void> {
    const expected = this.#expected.get(rel);
    const known = loc.size ?? expected ?? (await this.#knownSize(rel));
    // A whole file is one plain GET (cache friendly, works with any server); anything else, or a
    // file of unknown size, a Range request.
    const whole = !this.#pack && offset === 0 && known === length;
    const start = loc.base + offset;
    if (known !== undefined && offset + length > known) throw this.#tooShort(rel, offset, length, known);
    await this.#withRetries(rel, async (signal) => {
      const range = whole ? undefined : `bytes=${start}-${start + length - 1}`;
      const res = await this.#request(loc.url, 'GET', range, signal);
      try {
        await this.#receive(rel, loc, res, { start, length, expected, known }, out);
      } finally {
        await res.body?.cancel().catch(() => {});
      }
    });
  }

  /** A size learnt earlier (never a request). */
  async #knownSize(rel: string): Promise<number | undefined> {
    const p = this.#sizes.get(rel);
    if (!p) return undefined;
    try {
      const s = await p;
      return s >= 0 ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /** Checks a response against the request and the expected file size, and copies its payload into `out`. */
  async #receive(
    rel: string,
    loc: Location,
    res: Response,
    want: { start: number; length: number; expected: number | undefined; known: number | undefined },
    out: Uint8Array,
  ): Promise<void> {
    const { url } = loc;
    const { start, length, expected, known } = want;
    const end = start + length - 1;
    const integrity = (what: string) => new WeightsError(`integrity check failed for '${rel}': ${what}`);
    if (res.status === 404 || res.status === 410) {
      throw new WeightsError(`file '${rel}' not found at ${url} (HTTP ${res.status})`);
    }
    if (res.status === 416) {
      const total = /\/(\d+)/.exec(res.headers.get('content-range') ?? '')?.[1];
      throw new WeightsError(
        `file '${rel}' at ${url} is too short: need bytes ${start}..${start + length}${total ? `, it has ${total}` : ''} (HTTP 416)`,
      );
    }
    checkStatus(rel, url, res);
    const declared = encoded(res) ? undefined : contentLength(res);
    /** Bytes of the body before the payload (a server that ignored the Range request). */
    let skip = 0;
    /** Whether the payload must end the body. */
    let exact: boolean;
    if (res.status === 206) {
      const range = contentRange(res);
      if (range?.start === start && range.total !== undefined && range.total < start + length) {
        throw this.#tooShort(rel, start - loc.base, length, range.total - loc.base);
      }
      if (!range || range.start !== start || range.end !== end) {
        throw integrity(
          `asked ${url} for bytes ${start}-${end}, the server sent ${res.headers.get('content-range') ?? 'no Content-Range'}`,
        );
      }
      if (declared !== undefined && declared !== length) {
        throw integrity(`Content-Length ${declared} for a ${length}-byte range of ${url}`);
      }
      if (
        expected !== undefined &&
        loc.size === undefined &&
        range.total !== undefined &&
        range.total !== expected
      ) {
        throw integrity(`${url} has ${range.total} bytes (Content-Range), the model expects ${expected}`);
      }
      exact = true;
    } else {
      // 200: the whole file, asked for or sent by a server that ignores Range requests.
      if (declared !== undefined) {
        const size = declared - loc.base;
        if (loc.size === undefined && known !== undefined && declared !== known) {
          const why = expected !== undefined ? `the model expects ${expected}` : `it had ${known} before`;
          throw integrity(`${url} has ${declared} bytes (Content-Length), ${why}`);
        }
        if (size < start - loc.base + length) throw this.#tooShort(rel, start - loc.base, length, size);
      }
      skip = start;
      // A file (not a pack) whose size is known must end with the payload.
      exact = loc.size === undefined && known !== undefined && known === start + length;
    }
    const reader = res.body?.getReader();
    let got = 0;
    const tooLong = () => integrity(`${url} sent more than the ${length} bytes expected`);
    if (reader) {
      try {
        while (got < length) {
          const r = await reader.read();
          if (r.done) break;
          let chunk = r.value;
          if (skip > 0) {
            const drop = Math.min(skip, chunk.byteLength);
            skip -= drop;
            chunk = chunk.subarray(drop);
          }
          const take = Math.min(chunk.byteLength, length - got);
          out.set(chunk.subarray(0, take), got);
          got += take;
          this.#bytesDownloaded += take;
          if (take < chunk.byteLength && exact) throw tooLong();
          if (take > 0) this.#progress(rel, got, length, false);
        }
        if (got === length && exact) {
          // Nothing may follow the payload.
          const r = await reader.read();
          if (!r.done && r.value.byteLength > 0) throw tooLong();
        }
      } catch (e) {
        if (e instanceof WeightsError) throw e;
        throw new Transient(
          `the download of ${url} broke off after ${got} of ${length} bytes: ${errorMessage(e)}`,
        );
      }
    }
    if (got < length) {
      // A clean early end: a cut connection (or, without Content-Length, maybe a short file). Retry.
      throw new Transient(`the download of ${url} broke off after ${got} of ${length} bytes`);
    }
  }

  #progress(path: string, loaded: number, length: number, fromCache: boolean): void {
    this.#onProgress?.({ path, loaded, length, fromCache, stats: this.stats });
  }

  // ---- requests ----------------------------------------------------------------------------

  async #withRetries<T>(rel: string, attempt: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      this.#signal?.throwIfAborted();
      await this.#acquire();
      let error: unknown;
      try {
        return await attempt(this.#signal);
      } catch (e) {
        error = e;
      } finally {
        this.#release();
      }
      const transient = error instanceof Transient || isNetworkError(error);
      if (!transient || this.#signal?.aborted) throw asWeightsError(rel, error);
      if (n >= this.#retries) {
        throw new WeightsError(
          `cannot download '${rel}' from ${this.root} after ${n + 1} attempt${n ? 's' : ''}: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      this.#retriesDone++;
      const backoff = this.#retryDelayMs * 2 ** n;
      const hinted = error instanceof Transient ? error.retryAfterMs : undefined;
      // Jitter (50-100% of the delay), so clients that failed together do not retry together.
      const wait = Math.min(this.#maxRetryDelayMs, hinted ?? backoff) * (0.5 + Math.random() / 2);
      await sleep(wait, this.#signal);
    }
  }

  /** One HTTP request; counts it and turns retryable statuses into Transient errors. */
  async #request(
    url: string,
    method: 'GET' | 'HEAD',
    range: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    this.#requests++;
    const headers: Record<string, string> = { ...this.#headers };
    if (range) headers.Range = range;
    const res = await this.#fetch(url, { method, headers, signal });
    if (RETRY_STATUS.has(res.status)) {
      await res.body?.cancel().catch(() => {});
      throw new Transient(`${method} ${url}: HTTP ${res.status}`, retryAfter(res));
    }
    return res;
  }

  #acquire(): Promise<void> {
    const enter = () => {
      this.#inFlight++;
      this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    };
    if (this.#inFlight < this.#concurrency) {
      enter();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.#waiting.push(() => {
        enter();
        resolve();
      }),
    );
  }

  #release(): void {
    this.#inFlight--;
    const next = this.#waiting.shift();
    if (next) next();
  }
}

function folderUrl(url: string | URL): URL {
  const u = new URL(url, globalThis.location?.href);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.hash = '';
  return u;
}

function positiveInt(n: number, what: string): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`${what} must be an integer >= 1, got ${n}`);
  return n;
}

function checkStatus(rel: string, url: string, res: Response): void {
  if (res.status === 200 || res.status === 206) return;
  throw new WeightsError(
    `cannot download '${rel}': ${url} answered HTTP ${res.status} ${res.statusText}`.trim(),
  );
}

function contentLength(res: Response): number | undefined {
  const v = res.headers.get('content-length');
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

/** A compressed body's Content-Length counts compressed bytes, not the file's. */
function encoded(res: Response): boolean {
  const e = res.headers.get('content-encoding');
  return e !== null && e.trim().toLowerCase() !== 'identity';
}

function contentRange(res: Response): { start: number; end: number; total?: number } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(res.headers.get('content-range') ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function retryAfter(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** fetch rejects with a TypeError when the network fails (and Node's undici adds a cause). */
function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError;
}

function asWeightsError(rel: string, e: unknown): Error {
  if (e instanceof WeightsError) return e;
  if ((e as Error)?.name === 'AbortError') return e as Error;
  return new WeightsError(`cannot download '${rel}': ${errorMessage(e)}`, { cause: e });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(t);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
