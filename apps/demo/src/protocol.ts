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

export interface LoadedInfo {
  readonly root: string;
  readonly entry: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly weights: number;
  readonly weightBytes: number;
  readonly ms: number;
  readonly backend: string;
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
  /** The backend heap's (or the worker's JS heap's) high-water mark during the run, where reported. */
  readonly heapPeakBytes: number | undefined;
  readonly threads: number;
  readonly weightBytes: number;
  readonly download: DownloadInfo | undefined;
  readonly http: HttpStats | undefined;
}

export type FromWorker =
  /** Sent once when the worker starts. */
  | { readonly type: 'hello'; readonly backend: string; readonly reference: boolean }
  | { readonly type: 'loaded'; readonly info: LoadedInfo }
  | { readonly type: 'download'; readonly info: DownloadInfo }
  | { readonly type: 'progress'; readonly step: number; readonly steps: number; readonly opType: string }
  | { readonly type: 'result'; readonly info: ResultInfo }
  | { readonly type: 'error'; readonly message: string };
