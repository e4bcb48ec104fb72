/**
 * The demo page: picks a model and a picture, hands them to the inference worker, and shows
 * progress, timings, memory and the detections drawn on the picture.
 */
import type {
  BackendReport,
  FromWorker,
  LoadedInfo,
  ModelSourceMessage,
  ResultInfo,
  ToWorker,
} from './protocol.js';
import type { Detection, RgbaImage } from './yolo.js';

type State = 'idle' | 'loading' | 'ready' | 'running' | 'done' | 'error';

/** What the page exposes for scripts and tests (`window.onnxstreamDemo`). */
interface DemoHandle {
  state: State;
  loaded?: LoadedInfo;
  lastResult?: ResultInfo;
  lastError?: string;
  crossOriginIsolated: boolean;
  /** Detections finished since the page loaded. */
  runs: number;
  /** The worker's backend: the wasm build, its threads and heap (updated after loads and runs). */
  backend?: BackendReport;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const demo: DemoHandle = {
  state: 'idle',
  runs: 0,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
};
(window as unknown as { onnxstreamDemo: DemoHandle }).onnxstreamDemo = demo;

function setState(state: State): void {
  demo.state = state;
  document.body.dataset.state = state;
}

if (!demo.crossOriginIsolated) $('isolation-warning').hidden = false;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const post = (msg: ToWorker, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);
let picture: ImageBitmap | undefined;

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'hello':
      showBackend(msg.backend);
      break;
    case 'loaded':
      demo.loaded = msg.info;
      $('model-status').textContent =
        `Loaded ${msg.info.entry} from ${msg.info.root}: ${msg.info.weights} streamed weights, ` +
        `${mb(msg.info.weightBytes)}, in ${ms(msg.info.ms)}. Inputs ${msg.info.inputs.join(', ')}; ` +
        `outputs ${msg.info.outputs.join(', ')}.`;
      ($('image-input') as HTMLInputElement).disabled = false;
      showBackend(msg.info.backend);
      showStats([...backendRows(msg.info.backend), ['cross-origin isolated', String(msg.info.isolated)]]);
      setState('ready');
      break;
    case 'download': {
      const { downloaded, fromCache, total, requests, retries } = msg.info;
      const bar = $('download-progress') as HTMLProgressElement;
      bar.max = Math.max(1, total);
      bar.value = Math.min(total, downloaded + fromCache);
      $('download-text').textContent =
        `${mb(downloaded)} downloaded, ${mb(fromCache)} from the cache` +
        (total ? ` (weights: ${mb(total)})` : '') +
        `, ${requests} requests${retries ? `, ${retries} retries` : ''}`;
      break;
    }
    case 'progress': {
      const bar = $('run-progress') as HTMLProgressElement;
      bar.max = msg.steps;
      bar.value = msg.step;
      $('run-text').textContent = `operator ${msg.step} / ${msg.steps} (${msg.opType})`;
      break;
    }
    case 'result':
      demo.lastResult = msg.info;
      demo.runs++;
      showResult(msg.info);
      setState('done');
      break;
    case 'error':
      demo.lastError = msg.message;
      $('model-status').textContent = `Error: ${msg.message}`;
      setState('error');
      break;
  }
};

// An error the worker did not catch (a script of the wasm build that failed to load, for instance).
worker.onerror = (e) => {
  demo.lastError = e.message || 'the inference worker failed';
  $('model-status').textContent = `Error: ${demo.lastError}`;
  setState('error');
};

function load(source: ModelSourceMessage): void {
  setState('loading');
  $('model-status').textContent = 'Loading…';
  post({ type: 'load', source });
}

$('url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = new URL(($('model-url') as HTMLInputElement).value, location.href).href;
  load({ kind: 'url', url, cache: ($('use-cache') as HTMLInputElement).checked });
});

$('pick-folder').addEventListener('click', async () => {
  const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> })
    .showDirectoryPicker;
  if (!picker) {
    $('folder-input').click();
    return;
  }
  try {
    load({ kind: 'handle', handle: await picker() });
  } catch (e) {
    if ((e as Error).name !== 'AbortError') $('model-status').textContent = `Error: ${(e as Error).message}`;
  }
});

$('folder-input').addEventListener('change', () => {
  const files = ($('folder-input') as HTMLInputElement).files;
  if (files?.length) load({ kind: 'files', files: Array.from(files) });
});

$('image-input').addEventListener('change', async () => {
  const file = ($('image-input') as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    // The file's own pixels: no colour-space conversion, no premultiplied alpha.
    picture = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const image = pixelsOf(picture);
    drawPicture(picture, []);
    setState('running');
    ($('run-progress') as HTMLProgressElement).value = 0;
    $('run-text').textContent = 'starting…';
    post(
      {
        type: 'detect',
        image: { width: image.width, height: image.height, data: image.data as Uint8ClampedArray },
        scoreThreshold: Number(($('score-threshold') as HTMLInputElement).value),
        iouThreshold: Number(($('iou-threshold') as HTMLInputElement).value),
      },
      [image.data.buffer],
    );
  } catch (e) {
    demo.lastError = (e as Error).message;
    $('model-status').textContent = `Error: ${(e as Error).message}`;
    setState('error');
  }
});

function pixelsOf(bitmap: ImageBitmap): RgbaImage {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  return { width, height, data };
}

function drawPicture(bitmap: ImageBitmap, detections: readonly Detection[]): void {
  const canvas = $('canvas') as HTMLCanvasElement;
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.drawImage(bitmap, 0, 0);
  const line = Math.max(2, Math.round(Math.max(bitmap.width, bitmap.height) / 300));
  ctx.font = `${6 * line + 4}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of detections) {
    const color = `hsl(${(d.classId * 47) % 360} 90% 45%)`;
    const { x1, y1, x2, y2 } = d.box;
    ctx.lineWidth = line;
    ctx.strokeStyle = color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${d.label} ${(d.score * 100).toFixed(0)}%`;
    const w = ctx.measureText(label).width + 2 * line;
    const h = 6 * line + 4 + line;
    const top = y1 - h >= 0 ? y1 - h : y1;
    ctx.fillStyle = color;
    ctx.fillRect(x1, top, w, h);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 + line, top + line / 2);
  }
}

/** The note under the header: the wasm build in use, its threads and its heap's high-water mark. */
function showBackend(b: BackendReport): void {
  demo.backend = b;
  $('backend-note').textContent =
    b.name === 'wasm'
      ? `Backend: ${b.description}, ${b.threads} thread${b.threads === 1 ? '' : 's'}, wasm heap ${mb(b.heapBytes ?? 0)} (its high-water mark).`
      : `Backend: ${b.description}. Expect several seconds per picture.`;
}

function backendRows(b: BackendReport): [string, string][] {
  return [
    ['backend', b.description],
    ['wasm build', b.variant ?? 'none'],
    ['threads used', String(b.threads)],
    [
      'wasm heap high-water',
      b.heapBytes !== undefined
        ? mb(b.heapBytes)
        : 'not reported (the reference backend computes on the JS heap)',
    ],
  ];
}

function showResult(r: ResultInfo): void {
  if (picture) drawPicture(picture, r.detections);
  $('run-text').textContent = `done in ${ms(r.wallMs)}`;
  showBackend(r.backend);
  showStats([
    ...backendRows(r.backend),
    [
      'wall time',
      `${ms(r.wallMs)} (run ${ms(r.runMs)}, pre ${ms(r.preprocessMs)}, post ${ms(r.postprocessMs)})`,
    ],
    [
      'engine high-water',
      `${mb(r.peakTensorBytes + r.readAheadPeakBytes)} (engine tensors ${mb(r.peakTensorBytes)} + weights read ahead ${mb(r.readAheadPeakBytes)})`,
    ],
    ['weights streamed', mb(r.weightBytes)],
    [
      'downloads',
      r.download
        ? `${mb(r.download.downloaded)} from the network, ${mb(r.download.fromCache)} from the cache`
        : 'local folder',
    ],
    ['cross-origin isolated', String(demo.crossOriginIsolated)],
  ]);
  const list = $('detections');
  list.replaceChildren(
    ...r.detections.map((d) => {
      const li = document.createElement('li');
      const { x1, y1, x2, y2 } = d.box;
      li.textContent = `${d.label} ${(d.score * 100).toFixed(1)}% at (${x1.toFixed(0)}, ${y1.toFixed(0)})–(${x2.toFixed(0)}, ${y2.toFixed(0)})`;
      return li;
    }),
  );
}

function showStats(rows: readonly [string, string][]): void {
  const body = $('stats').querySelector('tbody');
  body?.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      for (const text of [k, v]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function ms(t: number): string {
  return t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${t.toFixed(0)} ms`;
}
