/**
 * Backend choice for the commands: `auto` takes the native backend when its addon loads here, then
 * the wasm backend when its build loads, then the reference backend, saying in one line why it fell
 * back.
 */
import { registerBackend } from '@onnxstream/core';
import { UsageError } from './usage.js';

export type BackendChoice = 'auto' | 'reference' | 'native' | 'wasm';

async function loadNative(): Promise<string | undefined> {
  try {
    const m = await import('@onnxstream/native');
    const a = m.nativeAvailability();
    if (a.available) {
      // Registers the backend and its host allocator (weights read into native blocks).
      await import('@onnxstream/native/register');
      return undefined;
    }
    return a.reason;
  } catch (e) {
    return (e as Error).message;
  }
}

async function loadWasm(): Promise<string | undefined> {
  try {
    const m = await import('@onnxstream/wasm');
    // This process is ours: on Node 20 the fastest build (relaxed SIMD) needs a V8 flag.
    m.enableRelaxedSimd();
    const a = await m.wasmAvailability();
    if (a.available) {
      registerBackend(m.wasmBackend, 5);
      return undefined;
    }
    return a.reason;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Registers the chosen backend and returns the name to pass to InferenceSession. */
export async function chooseBackend(choice: BackendChoice, log: (line: string) => void): Promise<string> {
  if (choice === 'reference') return 'reference';
  if (choice === 'wasm') {
    const why = await loadWasm();
    if (why !== undefined) throw new UsageError(`--backend wasm: ${why}`);
    return 'wasm';
  }
  const why = await loadNative();
  if (why === undefined) return 'native';
  if (choice === 'native') throw new UsageError(`--backend native: ${why}`);
  const wasmWhy = await loadWasm();
  if (wasmWhy === undefined) {
    log(`onnxstream: using the wasm backend: native backend unavailable (${why})`);
    return 'wasm';
  }
  log(
    `onnxstream: using the reference backend: native backend unavailable (${why}); wasm backend unavailable (${wasmWhy})`,
  );
  return 'reference';
}
