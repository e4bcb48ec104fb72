/**
 * @onnxstream/native will register the `native` backend with @onnxstream/core when imported. Until its
 * kernels land, importing it registers nothing and `backend: 'native'` fails with a message naming
 * this package.
 */
export const BACKEND_NAME = 'native';

/** Whether this installation provides the native backend. */
export function isAvailable(): boolean {
  return false;
}
