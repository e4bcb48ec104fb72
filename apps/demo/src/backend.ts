/**
 * The demo's compute backend, chosen in this one module.
 *
 * Today it is @onnxstream/core's reference backend: pure TypeScript, one thread, no SIMD, so
 * YOLOv8n takes seconds per picture. When @onnxstream/wasm is ready, replace the export line below
 * with the wasm backend's (and add `@onnxstream/wasm` to package.json), e.g.
 *   export { wasmBackend as demoBackend } from '@onnxstream/wasm';
 */
import type { Backend } from '@onnxstream/core';

export { referenceBackend as demoBackend } from '@onnxstream/core';

/** How the page describes the backend. */
export function describeBackend(backend: Backend): string {
  return backend.name === 'reference'
    ? 'reference (pure TypeScript, 1 thread; the wasm backend is not wired in yet)'
    : backend.name;
}

/**
 * Bytes of the backend's heap now, for the high-water mark: the JS heap where the browser reports
 * it (Chromium's `performance.memory`, not available in workers). A wasm backend reports its
 * memory's size here.
 */
export function heapBytes(): number | undefined {
  return (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
}

/**
 * Threads the backend computes with when `requested` are asked for: the reference backend always
 * uses one; a threaded backend needs SharedArrayBuffer, so cross-origin isolation.
 */
export function threadsUsed(backend: Backend, requested: number, isolated: boolean): number {
  if (backend.name === 'reference' || !isolated) return 1;
  return Math.max(1, requested);
}
