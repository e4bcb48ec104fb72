/**
 * `import '@onnxstream/wasm/register'` makes `backend: 'wasm'` use this backend (and 'auto' when no
 * backend of higher priority, such as the native one, is registered) when its build is present here.
 */
import { registerBackend } from '@onnxstream/core';
import { isAvailable, wasmBackend } from './index.js';

if (isAvailable()) registerBackend(wasmBackend, 5);
