/**
 * The emscripten module (src/../csrc/wasm-api.cc over packages/native/csrc) as JavaScript sees it,
 * and the choice among its four builds.
 */

/**
 * The builds of the kernel sources: scalar only, SIMD128, SIMD128 with a pthreads pool, and the
 * latter with relaxed SIMD's multiply-add (`f32x4.relaxed_madd`: one fused instruction where the
 * CPU has FMA, instead of a multiply and an add).
 */
export type WasmVariant = 'plain' | 'simd' | 'threads' | 'relaxed';
export const VARIANTS: readonly WasmVariant[] = ['plain', 'simd', 'threads', 'relaxed'];

/** Whether a build runs a pthreads pool. */
export const threaded = (variant: WasmVariant): boolean => variant === 'threads' || variant === 'relaxed';

export interface PThreads {
  unusedWorkers: { unref?(): void }[];
  runningWorkers: { unref?(): void }[];
  allocateUnusedWorker(): void;
  loadWasmModuleToWorker(worker: unknown, onFinishedLoading?: () => void): void;
  terminateAllThreads(): void;
}

/** The exports of wasm-api.cc and the runtime methods the build exports. */
export interface EmModule {
  _os_alloc(bytes: number): number;
  _os_free(ptr: number, bytes: number): void;
  _os_run(kernel: number, bufs: number, nbufs: number, params: number, nparams: number): number;
  _os_kernel_count(): number;
  _os_kernel_name(id: number): number;
  _os_isa(): number;
  _os_isa_supported(name: number): number;
  _os_set_isa(name: number): number;
  _os_threads(): number;
  _os_set_threads(n: number): void;
  _os_bytes_in_use(): number;
  _os_bytes_peak(): number;
  _os_reset_peak(): void;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  UTF8ToString(ptr: number): string;
  stringToUTF8(s: string, ptr: number, max: number): void;
  lengthBytesUTF8(s: string): number;
  /** The memory of a pthreads build (shared, created by the glue). */
  wasmMemory?: WebAssembly.Memory;
  /** The instance's exports (minified names): the memory of the other builds is among them. */
  asm: Record<string, unknown>;
  PThread?: PThreads;
}

/** The module's memory object, whose `buffer` is always the current heap. */
export function memoryOf(m: EmModule): WebAssembly.Memory {
  const mem = m.wasmMemory ?? Object.values(m.asm).find((x) => x instanceof WebAssembly.Memory);
  if (!(mem instanceof WebAssembly.Memory)) throw new Error('the wasm module exports no memory');
  return mem;
}

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid only with SIMD128.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

/** Whether this engine runs WebAssembly SIMD128. */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2
// f32x4.relaxed_madd)): valid only with relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32,
  1, 32, 2, 253, 133, 2, 11,
]);

/**
 * Whether this engine runs relaxed SIMD: Chromium 114+, Firefox 145+, Node 22+; Node 20 when started
 * with --experimental-wasm-relaxed-simd (the onnxstream CLI sets it for its own process).
 */
export function relaxedSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/**
 * Whether shared WebAssembly memory and workers are usable: SharedArrayBuffer exists, and in a
 * browser the page is cross-origin isolated (COOP/COEP headers), without which it is withheld.
 */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) return true;
  return g.crossOriginIsolated === true;
}

/** The best build this engine runs: relaxed, then threads, then SIMD, then plain. */
export function bestVariant(): WasmVariant {
  if (!simdSupported()) return 'plain';
  if (!threadsSupported()) return 'simd';
  return relaxedSimdSupported() ? 'relaxed' : 'threads';
}

/** Why `variant` cannot run here, or undefined when it can. */
export function variantUnsupported(variant: WasmVariant): string | undefined {
  if (typeof WebAssembly !== 'object') return 'this JavaScript engine has no WebAssembly';
  if (variant !== 'plain' && !simdSupported()) return 'this engine has no WebAssembly SIMD128';
  if (threaded(variant) && !threadsSupported()) {
    return 'SharedArrayBuffer is unavailable (a browser page needs COOP/COEP headers: crossOriginIsolated)';
  }
  if (variant === 'relaxed' && !relaxedSimdSupported()) {
    return 'this engine has no relaxed SIMD (Node 20: start node with --experimental-wasm-relaxed-simd)';
  }
  return undefined;
}
