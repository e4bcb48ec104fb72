import { OnnxStreamError } from '../errors.js';
import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';

interface Entry {
  readonly backend: Backend;
  readonly priority: number;
}

const backends = new Map<string, Entry>([['reference', { backend: referenceBackend, priority: 0 }]]);

/**
 * Makes a backend available by name. `auto` picks the highest priority; a negative priority means
 * "only when asked for by name" (as onnxruntime-common's registerBackend).
 */
export function registerBackend(backend: Backend, priority = 0): void {
  backends.set(backend.name, { backend, priority });
}

export function registeredBackends(): string[] {
  return [...backends.keys()];
}

/** Resolves a backend by name, 'auto', or passes an object through. */
export function resolveBackend(choice: string | Backend | undefined): Backend {
  if (choice && typeof choice !== 'string') return choice;
  if (!choice || choice === 'auto') {
    const best = [...backends.values()]
      .filter((e) => e.priority >= 0)
      .sort((a, b) => b.priority - a.priority)[0];
    return best.backend;
  }
  const entry = backends.get(choice);
  if (!entry) {
    throw new OnnxStreamError(
      `backend '${choice}' is not available (registered: ${registeredBackends().join(', ')}); install and import its package`,
    );
  }
  return entry.backend;
}
