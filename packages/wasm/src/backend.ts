/**
 * The wasm backend: the kernel operators of @onnxstream/core/kernel (the same layer the native
 * backend uses) over a WebAssembly build of the native kernel sources.
 */
import type { Backend, BackendOptions } from '@onnxstream/core';
import { createKernelBackend } from '@onnxstream/core/kernel';
import { buildMissing, forcedVariant, hardwareThreads, instantiate } from '#loader';
import { WasmKernels } from './kernels.js';
import { bestVariant, threaded, VARIANTS, variantUnsupported, type WasmVariant } from './module.js';

export interface WasmOptions {
  /**
   * The build: 'relaxed' (SIMD128 with relaxed SIMD's multiply-add, and a pthreads pool), 'threads'
   * (SIMD128 + a pthreads pool), 'simd' or 'plain'. Default: the best this engine runs
   * (ONNXSTREAM_WASM_VARIANT forces one under Node).
   */
  readonly variant?: WasmVariant;
  /** Compute threads, the calling thread included (threaded builds only). Default: hardware threads. */
  readonly threads?: number;
}

/** The best build this engine runs among those installed (the relaxed one may be left out). */
export function defaultVariant(): WasmVariant {
  const best = bestVariant();
  return best === 'relaxed' && buildMissing(best) ? 'threads' : best;
}

function chooseVariant(asked: WasmVariant | undefined): WasmVariant {
  const forced = asked ?? forcedVariant();
  if (forced === undefined) return defaultVariant();
  if (!VARIANTS.includes(forced as WasmVariant)) {
    throw new Error(`unknown wasm variant '${forced}' (${VARIANTS.join(', ')})`);
  }
  return forced as WasmVariant;
}

/**
 * Loads a build into a new module instance. Each instance has its own heap (and pool of workers for
 * a threaded build: call terminate() when done with it, or Node's exit does).
 */
export async function loadWasm(options: WasmOptions = {}): Promise<WasmKernels> {
  const variant = chooseVariant(options.variant);
  const why = variantUnsupported(variant) ?? buildMissing(variant);
  if (why) throw new Error(`the wasm ${variant} build cannot run here: ${why}`);
  // Workers for the pool's threads, started with the module (the calling thread is the other one).
  const threads = options.threads ?? hardwareThreads();
  const pool = threaded(variant) ? Math.max(1, Math.max(threads, hardwareThreads()) - 1) : 0;
  const m = await instantiate(variant, pool);
  const k = new WasmKernels(m, variant, pool);
  // Starts the pool (hardware threads) with the workers just loaded, then resizes it if asked.
  m._os_threads();
  if (options.threads !== undefined) await k.setThreads(options.threads);
  return k;
}

export interface WasmBackend extends Backend {
  /** The loaded build, after init() (InferenceSession.create calls it). */
  kernels(): WasmKernels;
}

/**
 * A wasm backend with its own module instance, loaded by init(). `wasmBackend` is the shared one;
 * make others to compare builds.
 */
export function createWasmBackend(options: WasmOptions = {}): WasmBackend {
  let loaded: WasmKernels | undefined;
  let loading: Promise<WasmKernels> | undefined;
  const kernels = (): WasmKernels => {
    if (!loaded) throw new Error('the wasm backend is not initialised: await backend.init({}) first');
    return loaded;
  };
  const backend = createKernelBackend({
    name: 'wasm',
    binding: kernels,
    async init(o: BackendOptions) {
      loading ??= loadWasm({ ...options, threads: options.threads ?? o.threads });
      const k = await loading;
      loaded = k;
      if (o.threads !== undefined) await k.setThreads(o.threads);
    },
    dispose() {
      loaded?.terminate();
      loaded = undefined;
      loading = undefined;
    },
  });
  return Object.assign(backend, { kernels });
}

/** The wasm backend, with the best build for this engine (see WasmOptions.variant). */
export const wasmBackend: WasmBackend = createWasmBackend();

/** Whether the default wasm backend loads here; the reason when it does not. Loads it. */
export async function wasmAvailability(): Promise<
  { available: true; variant: WasmVariant } | { available: false; reason: string }
> {
  try {
    await wasmBackend.init?.({});
    return { available: true, variant: wasmBackend.kernels().variant };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}
