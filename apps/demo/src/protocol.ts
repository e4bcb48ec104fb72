/** Messages between the page and the inference worker. */
import type { HttpStats } from '@onnxstream/providers';
import type { Detection } from './yolo.js';

export type ModelSourceMessage =
  /** A model folder's URL (absolute); `cache` stores downloads in the Cache API. */
  | { readonly kind: 'url'; readonly url: string; readonly cache: boolean }
  /** A folder picked with showDirectoryPicker(). */
  | { readonly kind: 'handle'; readonly handle: FileSystemDirectoryHandle }
  /** The files of an <input webkitdirectory>. */
  | { readonly kind: 'files'; readonly files: readonly File[] };

export type ToWorker =
  | { readonly type: 'load'; readonly source: ModelSourceMessage }
  | {
      readonly type: 'detect';
      readonly image: { readonly width: number; readonly height: number; readonly data: Uint8ClampedArray };
      readonly scoreThreshold: number;
      readonly iouThreshold: number;
    };

/** The compute backend as the worker sees it (after loading, and again after each run). */
export interface BackendReport {
  /** 'wasm', or 'reference' where no wasm build runs. */
  readonly name: string;
  /** The wasm build in use: 'relaxed' (threads with relaxed SIMD), 'threads' (SIMD128 + pthreads), 'simd' or 'plain'. */
  readonly variant?: string;
  /** The wasm kernels in use: 'wasmsimd' or 'scalar'. */
  readonly isa?: string;
  /** Threads the backend computes with, the calling one included. */
  readonly threads: number;
  /** The wasm heap's size, which is its high-water mark (WebAssembly memory never shrinks). */
  readonly heapBytes?: number;
  /** Why the wasm backend is not used, when it is not. */
  readonly fallback?: string;
  /** One line for the page. */
  readonly description: string;
}

export interface LoadedInfo {
  readonly root: string;
  readonly entry: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly weights: number;
  readonly weightBytes: number;
  readonly ms: number;
  readonly backend: BackendReport;
  readonly threads: number;
  readonly isolated: boolean;
}

export interface DownloadInfo {
  /** Bytes from the network and from the persistent cache, and the streamed weights' total. */
  readonly downloaded: number;
  readonly fromCache: number;
  readonly total: number;
  readonly requests: number;
  readonly retries: number;
}

export interface ResultInfo {
  readonly detections: Detection[];
  /** Whole detection, page to page (preprocess + run + postprocess), and the engine's run alone. */
  readonly wallMs: number;
  readonly runMs: number;
  readonly preprocessMs: number;
  readonly postprocessMs: number;
  /** The engine's peak of live tensor bytes in the run. */
  readonly peakTensorBytes: number;
  /** The weights provider's read-ahead high-water mark (bytes read but not yet requested). */
  readonly readAheadPeakBytes: number;
  /** The backend after the run: the wasm build, its threads and its heap's high-water mark. */
  readonly backend: BackendReport;
  readonly threads: number;
  readonly weightBytes: number;
  readonly download: DownloadInfo | undefined;
  readonly http: HttpStats | undefined;
}

export type FromWorker =
  /** Sent once when the worker starts. */
  | { readonly type: 'hello'; readonly backend: BackendReport }
  | { readonly type: 'loaded'; readonly info: LoadedInfo }
  | { readonly type: 'download'; readonly info: DownloadInfo }
  | { readonly type: 'progress'; readonly step: number; readonly steps: number; readonly opType: string }
  | { readonly type: 'result'; readonly info: ResultInfo }
  | { readonly type: 'error'; readonly message: string };
