/**
 * Fetching OnnxStream's published model folders (reference section 7.12): the text files of the
 * model first, then every weight file named by each `model.txt` (`_nchw.bin` read as `_nhwc.bin`,
 * which is the one repositories ship), from `<endpoint>/<repo>/resolve/main/<file>`. Downloads run in
 * parallel, resume from `<file>.part` with HTTP range requests, and check each file's size against
 * the server's length and the size `model.txt` implies. Node.js only.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ModelKind, ONNXSTREAM_TEXT_FILES } from './layout.js';

/** 'auto': fetch what is missing; 'force': fetch everything again; 'never': only check. */
export type DownloadMode = 'auto' | 'force' | 'never';

export interface DownloadProgress {
  readonly phase: 'text' | 'weights';
  /** Files finished in this phase, and how many there are. */
  readonly files: number;
  readonly totalFiles: number;
  /** Bytes received so far in this phase (resumed bytes included), and the expected total when known. */
  readonly bytes: number;
  readonly totalBytes?: number;
}

export interface DownloadOptions {
  /** `owner/name` of the repository. */
  readonly repo: string;
  /** Destination folder (OnnxStream: `<models-path>/<repo name>`). */
  readonly dest: string;
  /** Which model's text files to fetch. */
  readonly kind: ModelKind;
  readonly mode?: DownloadMode;
  /** Hub address (default: `$HF_ENDPOINT` or https://huggingface.co). */
  readonly endpoint?: string;
  /** Parallel downloads (OnnxStream's --curl-parallel, default 16, 1..128). */
  readonly parallel?: number;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  /** Time allowed for a response to start, in ms (default 30000). */
  readonly timeoutMs?: number;
  /** The fetch implementation (default: global fetch). */
  readonly fetch?: typeof fetch;
}

export interface DownloadResult {
  readonly dest: string;
  /** Files fetched (relative paths). */
  readonly downloaded: string[];
  /** Files already present. */
  readonly present: number;
  readonly bytes: number;
}

/** A download failure; `offline` when the host could not be reached at all. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly offline = false,
  ) {
    super(message);
  }
}

/** The cache folder for downloaded models: $ONNXSTREAM_CACHE, else the platform's user cache + /onnxstream. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ONNXSTREAM_CACHE) return env.ONNXSTREAM_CACHE;
  if (process.platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'onnxstream', 'cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'onnxstream');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'onnxstream');
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, float16: 2, int64: 8 };

/**
 * The weight files a model.txt names, with the byte size each must have (`_nchw.bin` listed as the
 * `_nhwc.bin` file OnnxStream reads), unique, in order of first use.
 */
export function listModelWeights(modelTxt: string): { file: string; bytes: number }[] {
  const out = new Map<string, number>();
  const re = /([A-Za-z0-9_]+\.bin)\(([^:()]+):([0-9,]*)\)/g;
  for (const m of modelTxt.matchAll(re)) {
    const file = m[1].replace(/_nchw\.bin$/, '_nhwc.bin');
    const dtype = m[2];
    const elt = dtype.startsWith('uint8') ? 1 : ELEMENT_BYTES[dtype];
    if (elt === undefined) continue;
    const count = m[3] === '' ? 1 : m[3].split(',').reduce((a, d) => a * Number(d), 1);
    if (!out.has(file)) out.set(file, elt * count);
  }
  return [...out].map(([file, bytes]) => ({ file, bytes }));
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
]);

function describe(e: unknown): { text: string; offline: boolean } {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return { text: 'no response (timed out)', offline: true };
  const code = err.cause?.code;
  if (code)
    return {
      text: `${code}${err.cause?.message ? `: ${err.cause.message}` : ''}`,
      offline: NETWORK_CODES.has(code),
    };
  return { text: err.message ?? String(e), offline: false };
}

interface FileJob {
  readonly rel: string;
  readonly bytes?: number;
}

/** Downloads (or, with mode 'never', checks) an OnnxStream model folder. */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const mode = options.mode ?? 'auto';
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(
    /\/+$/,
    '',
  );
  const parallel = Math.min(128, Math.max(1, options.parallel ?? 16));
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const downloaded: string[] = [];
  let present = 0;
  let total = 0;

  const fetchFile = async (job: FileJob, onBytes: (n: number) => void): Promise<void> => {
    const dst = join(options.dest, job.rel);
    const part = `${dst}.part`;
    await mkdir(dirname(dst), { recursive: true });
    const url = `${endpoint}/${options.repo}/resolve/main/${job.rel}`;
    let start = (await sizeOf(part)) ?? 0;
    if (job.bytes !== undefined && start > job.bytes) {
      await rm(part, { force: true });
      start = 0;
    }
    const signal = options.signal
      ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal });
    } catch (e) {
      if (options.signal?.aborted) throw e;
      const d = describe(e);
      throw new DownloadError(`cannot download ${url}: ${d.text}`, d.offline);
    }
    if (res.status === 416 && job.bytes !== undefined && start === job.bytes) {
      await res.body?.cancel();
      await rename(part, dst);
      return;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DownloadError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
    }
    const resumed = res.status === 206;
    if (!resumed) start = 0;
    const length = res.headers.get('content-length');
    const expected = job.bytes ?? (length !== null ? start + Number(length) : undefined);
    if (job.bytes !== undefined && length !== null && start + Number(length) !== job.bytes) {
      await res.body?.cancel();
      throw new DownloadError(
        `${job.rel}: the server has ${start + Number(length)} bytes, model.txt needs ${job.bytes}`,
      );
    }
    if (start > 0) onBytes(start);
    const handle = await open(part, resumed ? 'a' : 'w');
    let size = start;
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          await handle.write(chunk);
          size += chunk.byteLength;
          onBytes(chunk.byteLength);
        }
      }
    } finally {
      await handle.close();
    }
    if (expected !== undefined && size !== expected) {
      if (size > expected) await rm(part, { force: true });
      throw new DownloadError(`${job.rel}: received ${size} bytes, expected ${expected}`);
    }
    await rename(part, dst);
  };

  const runPhase = async (phase: DownloadProgress['phase'], jobs: FileJob[]): Promise<void> => {
    const todo: FileJob[] = [];
    const missing: string[] = [];
    for (const job of jobs) {
      const dst = join(options.dest, job.rel);
      const have = await sizeOf(dst);
      const complete = have !== undefined && (job.bytes === undefined || have === job.bytes);
      if (mode === 'force') {
        await rm(dst, { force: true });
        await rm(`${dst}.part`, { force: true });
        todo.push(job);
      } else if (complete) {
        present++;
      } else if (mode === 'never') {
        missing.push(job.rel);
      } else {
        if (have !== undefined) await rename(dst, `${dst}.part`); // wrong size: resume or restart it
        todo.push(job);
      }
    }
    if (missing.length > 0) {
      throw new DownloadError(
        `${missing.length} model file(s) missing in ${options.dest} (e.g. ${missing.slice(0, 3).join(', ')}) and downloads are disabled`,
      );
    }
    const known = todo.every((j) => j.bytes !== undefined);
    const totalBytes = known ? todo.reduce((a, j) => a + (j.bytes ?? 0), 0) : undefined;
    let files = 0;
    let bytes = 0;
    const report = () => options.onProgress?.({ phase, files, totalFiles: todo.length, bytes, totalBytes });
    report();
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < todo.length) {
        const job = todo[next++];
        let got = 0;
        const onBytes = (n: number) => {
          got += n;
          bytes += n;
          report();
        };
        try {
          try {
            await fetchFile(job, onBytes);
          } catch (e) {
            if (options.signal?.aborted || (e instanceof DownloadError && e.offline)) throw e;
            bytes -= got; // OnnxStream retries a failed batch once
            got = 0;
            await fetchFile(job, onBytes);
          }
          files++;
          total += got;
          downloaded.push(job.rel);
          report();
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, todo.length) }, worker));
    if (failure !== undefined) throw failure;
  };

  const textFiles = ONNXSTREAM_TEXT_FILES[options.kind];
  await runPhase(
    'text',
    textFiles.map((rel) => ({ rel })),
  );
  const weights: FileJob[] = [];
  const { readFile } = await import('node:fs/promises');
  for (const rel of textFiles.filter((f) => f.endsWith('/model.txt'))) {
    const folder = rel.slice(0, rel.lastIndexOf('/') + 1);
    const text = await readFile(join(options.dest, rel), 'utf8');
    for (const w of listModelWeights(text)) weights.push({ rel: folder + w.file, bytes: w.bytes });
  }
  await runPhase('weights', weights);
  return { dest: options.dest, downloaded, present, bytes: total };
}
