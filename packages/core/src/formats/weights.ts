/**
 * Turning weight bytes into tensors, shared by the model readers and the weights providers.
 */
import type { WeightRef } from '../graph/graph.js';
import { castTensor } from '../tensor/convert.js';
import { allocData, type DataType, DTYPES, isFloat, viewData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { transposeData } from '../tensor/transpose.js';
import { tensorFromRaw } from './raw.js';

/**
 * Small shape-like weights (integer tensors up to 64 KiB, any tensor of at most 16 elements) are
 * read once at load time and kept as constants, so the planner can fold the Shape/Gather/Concat
 * arithmetic around them. Everything else streams.
 */
export function isEagerWeight(ref: WeightRef): boolean {
  const count = ref.dims.reduce((a, b) => a * b, 1);
  if (count <= 16) return true;
  return !isFloat(ref.type) && ref.byteLength <= 64 * 1024;
}

/**
 * A tensor over weight bytes read from a file. `bytes` must be a fresh aligned buffer of exactly
 * `ref.byteLength` bytes (what ModelFiles.read returns); the tensor views it without copying.
 */
export function weightTensor(ref: WeightRef, bytes: Uint8Array): Tensor {
  if (bytes.byteLength !== ref.byteLength) {
    throw new Error(
      `weight '${ref.name}' (${ref.file}): expected ${ref.byteLength} bytes, got ${bytes.byteLength}`,
    );
  }
  const count = ref.dims.reduce((a, b) => a * b, 1);
  if (ref.fileLayout) {
    const stored = weightTensor({ ...ref, dims: ref.fileLayout.dims, fileLayout: undefined }, bytes);
    const out = allocData(ref.type, count);
    transposeData(stored.data as Float32Array, ref.fileLayout.dims, ref.fileLayout.perm, out as Float32Array);
    return new Tensor(ref.type, out as never, ref.dims, ref.quant);
  }
  if (ref.packed || bytes.byteOffset % Math.max(1, DTYPES[ref.type].bytes) !== 0) {
    const t = tensorFromRaw(ref.type, ref.dims, bytes);
    return ref.quant ? new Tensor('uint8', t.data as Uint8Array, ref.dims, ref.quant) : t;
  }
  const data = viewData(ref.type, bytes.buffer, bytes.byteOffset, count);
  return new Tensor(ref.type, data as never, ref.dims, ref.quant);
}

/** The type operators see for a weight. */
export function computeTypeOf(ref: WeightRef): DataType {
  return ref.computeType ?? ref.type;
}

/**
 * Converts a weight as read to the type operators see: quantised uint8 is dequantised
 * ((q - zero) * scale), other types are cast. Returns the tensor itself when nothing changes.
 */
export function toComputeType(ref: WeightRef, t: Tensor): Tensor {
  const to = computeTypeOf(ref);
  if (t.type === to) return t;
  if (t.quant) {
    const q = t.data as Uint8Array;
    const { scale, zeroPoint } = t.quant;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - zeroPoint) * scale;
    return castTensor(new Tensor('float32', out, t.dims), to);
  }
  return castTensor(t, to);
}
