/**
 * @onnxstream/wasm: the native kernel sources (packages/native/csrc) compiled to WebAssembly with
 * emscripten (plain, SIMD128, SIMD128 + pthreads, and that with relaxed SIMD), as a backend for
 * @onnxstream/core. The operator layer is @onnxstream/core/kernel, shared with @onnxstream/native.
 */
import { buildMissing } from '#loader';
import { defaultVariant } from './backend.js';
import { variantUnsupported } from './module.js';

export { enableRelaxedSimd } from '#loader';
export {
  createWasmBackend,
  defaultVariant,
  loadWasm,
  type WasmBackend,
  type WasmOptions,
  wasmAvailability,
  wasmBackend,
} from './backend.js';
export type { WasmInfo, WasmKernels } from './kernels.js';
export {
  bestVariant,
  relaxedSimdSupported,
  simdSupported,
  threadsSupported,
  VARIANTS,
  variantUnsupported,
  type WasmVariant,
} from './module.js';

export const BACKEND_NAME = 'wasm';

/**
 * Whether this installation and engine can run the wasm backend (its best build is built and
 * supported here), without loading it. `wasmAvailability()` loads it and says why not.
 */
export function isAvailable(): boolean {
  const v = defaultVariant();
  return variantUnsupported(v) === undefined && buildMissing(v) === undefined;
}
