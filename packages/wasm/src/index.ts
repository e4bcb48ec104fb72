/**
 * @onnxstream/wasm will register the `wasm` backend with @onnxstream/core when imported. Until its
 * builds land, importing it registers nothing and `backend: 'wasm'` fails with a message naming
 * this package.
 */
export const BACKEND_NAME = 'wasm';

/** Whether this installation provides the wasm backend. */
export function isAvailable(): boolean {
  return false;
}
