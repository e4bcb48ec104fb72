/**
 * Backend choice for the commands: `auto` takes the native backend when its addon loads here, then
 * (when it lands) the wasm backend, then the reference backend, saying in one line why it fell back.
 */
import { registerBackend } from '@onnxstream/core';
import { UsageError } from './usage.js';

export type BackendChoice = 'auto' | 'reference' | 'native' | 'wasm';

async function loadNative(): Promise<string | undefined> {
  try {
    const m = await import('@onnxstream/native');
    const a = m.nativeAvailability();
    if (a.available) {
      registerBackend(m.nativeBackend, 10);
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
  if (choice === 'wasm')
    throw new UsageError('--backend wasm: the wasm backend is not available in this version');
  const why = await loadNative();
  if (why === undefined) return 'native';
  if (choice === 'native') throw new UsageError(`--backend native: ${why}`);
  log(`onnxstream: using the reference backend: native backend unavailable (${why})`);
  return 'reference';
}
