/**
 * Tensors in native memory: the addon allocates, JavaScript views the block without a copy, and the
 * engine's deterministic release (Tensor.dispose) frees it at once.
 */
import { type DataType, DTYPES, Tensor } from '@onnxstream/core';
import type { NativeBinding } from './binding.js';

export function nativeTensor(native: NativeBinding, type: DataType, dims: readonly number[]): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  // Empty tensors own no memory.
  if (count === 0) return Tensor.zeros(type, dims);
  const ctor = DTYPES[type].array;
  if (!ctor) throw new TypeError(`native tensors cannot hold ${type}`);
  const buffer = native.alloc(count * DTYPES[type].bytes);
  const t = new Tensor(type, new ctor(buffer, 0, count) as never, dims);
  t.setDisposer(() => native.free(buffer));
  return t;
}
