/**
 * The inference worker: loads the wasm backend (its best build for this browser), then a model
 * folder (URL, picked directory or file list), keeps one session, and runs YOLOv8n detections,
 * reporting download and per-operator progress, the wasm build, its threads and its heap.
 */
import { errorMessage, InferenceSession, type ModelFiles } from '@onnxstream/core';
import {
  CacheStorageStore,
  DirectoryHandleFiles,
  FileListFiles,
  findModelEntry,
  HttpModelFiles,
  HttpProvider,
} from '@onnxstream/providers';
import { type DemoBackend, loadDemoBackend, reportBackend } from './backend.js';
import { detect } from './pipeline.js';
import type { DownloadInfo, FromWorker, ModelSourceMessage, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let session: InferenceSession | undefined;
let provider: HttpProvider | undefined;
let http: HttpModelFiles | undefined;
let totalWeightBytes = 0;

/** The backend, loaded once when the worker starts (the page hears of it in the 'hello' message). */
const backendReady: Promise<DemoBackend> = loadDemoBackend().then((b) => {
  scope.postMessage({ type: 'hello', backend: reportBackend(b) });
  return b;
});
/** Messages are handled one at a time, after the backend has loaded. */
let queue: Promise<void> = backendReady.then(() => undefined);

scope.onmessage = (e) => {
  queue = queue
    .then(() => handle(e.data))
    .catch((err) => scope.postMessage({ type: 'error', message: errorMessage(err) }));
};

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'load') await load(msg.source);
  else await runDetection(msg);
}

function downloadInfo(): DownloadInfo | undefined {
  if (!http) return undefined;
  const s = http.stats;
  return {
    downloaded: s.bytesDownloaded,
    fromCache: s.bytesFromCache,
    total: totalWeightBytes,
    requests: s.requests,
    retries: s.retries,
  };
}

/** Calls `f` at most every `ms` milliseconds (the last call of a burst may be dropped). */
function throttle(ms: number, f: () => void): () => void {
  let last = 0;
  return () => {
    const now = performance.now();
    if (now - last >= ms) {
      last = now;
      f();
    }
  };
}

const postDownload = throttle(100, () => {
  const info = downloadInfo();
  if (info) scope.postMessage({ type: 'download', info });
});

function openFiles(source: ModelSourceMessage): { files: ModelFiles; paths: string[] } {
  http = undefined;
  switch (source.kind) {
    case 'url': {
      let cache: CacheStorageStore | undefined;
      if (source.cache && typeof caches !== 'undefined') cache = new CacheStorageStore('onnxstream-models');
      http = new HttpModelFiles(source.url, { cache, onProgress: postDownload });
      return { files: http, paths: [] };
    }
    case 'handle':
      return { files: new DirectoryHandleFiles(source.handle), paths: [] };
    case 'files': {
      const files = new FileListFiles(source.files);
      return { files, paths: files.paths() };
    }
  }
}

async function load(source: ModelSourceMessage): Promise<void> {
  await session?.release();
  session = undefined;
  const t0 = performance.now();
  const { files, paths } = openFiles(source);
  const entry = await findModelEntry(files, paths);
  provider = new HttpProvider();
  const isolated = globalThis.crossOriginIsolated === true;
  const demo = await backendReady;
  // Every logical CPU; only the threaded wasm builds (cross-origin isolated pages) use more than one.
  session = await InferenceSession.create(
    { files, entry },
    { backend: demo.backend, weightsProvider: provider, threads: navigator.hardwareConcurrency || 1 },
  );
  const backend = reportBackend(demo);
  const weights = [...session.graph.weights.values()];
  totalWeightBytes = weights.reduce((n, w) => n + w.byteLength, 0);
  scope.postMessage({
    type: 'loaded',
    info: {
      root: files.root,
      entry,
      inputs: session.inputNames,
      outputs: session.outputNames,
      weights: weights.length,
      weightBytes: totalWeightBytes,
      ms: performance.now() - t0,
      backend,
      threads: backend.threads,
      isolated,
    },
  });
  const info = downloadInfo();
  if (info) scope.postMessage({ type: 'download', info });
}

async function runDetection(msg: Extract<ToWorker, { type: 'detect' }>): Promise<void> {
  if (!session) throw new Error('load a model first');
  if (!session.inputNames.includes('images') || !session.outputNames.includes('output0')) {
    throw new Error(
      `this is not a YOLOv8 model: it needs input 'images' and output 'output0' (it has ${session.inputNames.join(', ')} -> ${session.outputNames.join(', ')})`,
    );
  }
  let lastPost = 0;
  const t0 = performance.now();
  const result = await detect(session, msg.image, {
    scoreThreshold: msg.scoreThreshold,
    iouThreshold: msg.iouThreshold,
    onProgress: (p) => {
      postDownload();
      const now = performance.now();
      if (p.step === 1 || p.step === p.steps || now - lastPost >= 50) {
        lastPost = now;
        scope.postMessage({ type: 'progress', step: p.step, steps: p.steps, opType: p.opType });
      }
    },
  });
  const wallMs = performance.now() - t0;
  // The wasm heap only grows, so its size after the run is its high-water mark.
  const backend = reportBackend(await backendReady);
  const stats = session.lastRunStats;
  scope.postMessage({
    type: 'result',
    info: {
      detections: result.detections,
      wallMs,
      runMs: result.timings.run,
      preprocessMs: result.timings.preprocess,
      postprocessMs: result.timings.postprocess,
      peakTensorBytes: stats?.peakTensorBytes ?? 0,
      readAheadPeakBytes: provider?.stats.peakHeldBytes ?? 0,
      backend,
      threads: backend.threads,
      weightBytes: stats?.weightBytes ?? 0,
      download: downloadInfo(),
      http: provider?.stats.http,
    },
  });
}
