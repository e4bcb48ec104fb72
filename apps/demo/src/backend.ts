/**
 * The demo's compute backend: @onnxstream/wasm, which loads the best of its four builds for this
 * browser (SIMD128 + pthreads when the page is cross-origin isolated, with relaxed SIMD's
 * multiply-add where the browser has it, else SIMD128, else plain).
 * Where no wasm build runs, the worker falls back to @onnxstream/core's reference backend (pure
 * TypeScript, one thread) and says why.
 */
import { type Backend, errorMessage, referenceBackend } from '@onnxstream/core';
import { type WasmBackend, wasmBackend } from '@onnxstream/wasm';
import type { BackendReport } from './protocol.js';

export interface DemoBackend {
  readonly backend: Backend;
  /** Why the wasm backend is not used, when it is not. */
  readonly fallback?: string;
}

/** Loads the wasm backend's best build (threads sized later by the session), else the reference one. */
export async function loadDemoBackend(): Promise<DemoBackend> {
  try {
    await wasmBackend.init?.({});
    return { backend: wasmBackend };
  } catch (e) {
    return { backend: referenceBackend, fallback: errorMessage(e) };
  }
}

const BUILDS: Record<string, string> = {
  relaxed: 'SIMD128 with relaxed-SIMD multiply-adds + pthreads',
  threads: 'SIMD128 + pthreads',
  simd: 'SIMD128, one thread',
  plain: 'scalar, one thread',
};

function isWasm(backend: Backend): backend is WasmBackend {
  return backend.name === 'wasm' && typeof (backend as Partial<WasmBackend>).kernels === 'function';
}

/**
 * What the backend is and does now: the wasm build in use, its threads (the calling one included)
 * and its heap's size, which is its high-water mark (WebAssembly memory grows and never shrinks).
 */
export function reportBackend({ backend, fallback }: DemoBackend): BackendReport {
  if (!isWasm(backend)) {
    return {
      name: backend.name,
      threads: 1,
      fallback,
      description: `${backend.name} (pure TypeScript, 1 thread${fallback ? `: the wasm backend did not load: ${fallback}` : ''})`,
    };
  }
  const info = backend.kernels().info();
  return {
    name: 'wasm',
    variant: info.variant,
    isa: info.isa,
    threads: info.threads,
    heapBytes: info.heapBytes,
    description: `wasm, ${info.variant} build (${BUILDS[info.variant] ?? info.variant}; kernels ${info.isa})`,
  };
}
