/**
 * A local static HTTP server for the HTTP provider's tests: serves a folder (or a packed file) with
 * HEAD, GET and single Range requests, counts requests, and injects faults on demand.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface RequestInfo {
  readonly method: string;
  /** Decoded path below the server root, without the leading '/'. */
  readonly path: string;
  readonly range: string | undefined;
  /** 1-based count of requests for this path so far, this one included. */
  readonly n: number;
}

export type Fault =
  /** Answer with this status (and an optional Retry-After). */
  | { readonly status: number; readonly retryAfter?: string }
  /** Announce the full length, send only this many bytes, then cut the connection. */
  | { readonly truncateAt: number }
  /** Serve these bytes instead of the file (a wrong size, consistently declared). */
  | { readonly body: Uint8Array }
  /** Ignore the Range header and send the whole file with 200. */
  | { readonly ignoreRange: true }
  /** Send the body without Content-Length (chunked). */
  | { readonly noLength: true }
  /** Wait before answering normally. */
  | { readonly delayMs: number }
  /** Answer a Range request with these Content-Range bounds (a wrong slice). */
  | { readonly shiftRange: number };

export interface TestServerOptions {
  /** Folder served at the root. */
  readonly dir?: string;
  /** Files served from memory (path below the root to bytes), checked before `dir`. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  readonly fault?: (req: RequestInfo) => Fault | undefined;
  /** Delay every response by this many ms (to see concurrency). */
  readonly latencyMs?: number;
}

export class TestServer {
  readonly requests: RequestInfo[] = [];
  #server: Server;
  #counts = new Map<string, number>();
  #inFlight = 0;
  peakInFlight = 0;
  url = '';

  constructor(readonly options: TestServerOptions) {
    this.#server = createServer((req, res) => {
      this.#inFlight++;
      this.peakInFlight = Math.max(this.peakInFlight, this.#inFlight);
      res.on('close', () => this.#inFlight--);
      this.#handle(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Requests whose path satisfies `filter` (all by default). */
  count(filter: (r: RequestInfo) => boolean = () => true): number {
    return this.requests.filter(filter).length;
  }

  reset(): void {
    this.requests.length = 0;
    this.#counts.clear();
    this.peakInFlight = 0;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const n = (this.#counts.get(path) ?? 0) + 1;
    this.#counts.set(path, n);
    const info: RequestInfo = { method: req.method ?? 'GET', path, range: req.headers.range, n };
    this.requests.push(info);
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    const fault = this.options.fault?.(info);
    if (fault && 'delayMs' in fault) await sleep(fault.delayMs);
    if (fault && 'status' in fault) {
      res.writeHead(fault.status, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      res.end();
      return;
    }
    let data = await this.#file(path);
    if (!data) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (fault && 'body' in fault) data = fault.body;
    const head = info.method === 'HEAD';
    const range = fault && 'ignoreRange' in fault ? undefined : parseRange(info.range, data.byteLength);
    let status = 200;
    let body = data;
    const headers: Record<string, string> = { 'Accept-Ranges': 'bytes' };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${data.byteLength}` });
      res.end();
      return;
    }
    if (range) {
      status = 206;
      body = data.subarray(range.start, range.end + 1);
      const shift = fault && 'shiftRange' in fault ? fault.shiftRange : 0;
      headers['Content-Range'] = `bytes ${range.start + shift}-${range.end + shift}/${data.byteLength}`;
    }
    if (!(fault && 'noLength' in fault)) headers['Content-Length'] = String(body.byteLength);
    res.writeHead(status, headers);
    if (head) {
      res.end();
      return;
    }
    if (fault && 'truncateAt' in fault) {
      res.write(body.subarray(0, fault.truncateAt));
      // Let the partial body leave before the connection is cut.
      await sleep(20);
      res.destroy();
      return;
    }
    res.end(body);
  }

  async #file(path: string): Promise<Uint8Array | undefined> {
    const mem = this.options.files?.get(path);
    if (mem) return mem;
    const dir = this.options.dir;
    if (!dir) return undefined;
    const full = normalize(join(dir, path));
    if (!full.startsWith(normalize(dir) + sep)) return undefined;
    try {
      return new Uint8Array(await readFile(full));
    } catch {
      return undefined;
    }
  }
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
