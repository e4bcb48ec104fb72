/**
 * Loads a build in a browser: the ES module glue (dist/wasm/web/*.mjs), its .wasm and, for the
 * pthreads build, its worker script, located next to this file. Meant to run inside a Web Worker:
 * kernels block the calling thread, and a page's main thread may not wait on its pool's threads.
 * Selected by the "#loader" import condition.
 */
import { type EmModule, relaxedSimdSupported, type WasmVariant } from './module.js';

export const environment = 'browser';

const here = (file: string) => new URL(`./wasm/web/${file}`, import.meta.url).href;

export function buildMissing(_variant: WasmVariant): string | undefined {
  return undefined;
}

export function hardwareThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return n && n > 0 ? n : 4;
}

export function forcedVariant(): string | undefined {
  return undefined;
}

export async function instantiate(variant: WasmVariant, poolSize: number): Promise<EmModule> {
  const { default: factory } = (await import(/* @vite-ignore */ here(`onnxstream-${variant}.mjs`))) as {
    default: (m: object) => Promise<EmModule>;
  };
  return factory({ osPoolSize: poolSize, locateFile: (file: string) => here(file) });
}

/** Whether relaxed SIMD is available: a browser's flags are not the page's to set. */
export function enableRelaxedSimd(): boolean {
  return relaxedSimdSupported();
}
