/**
 * Turning weight bytes into tensors, shared by the model readers and the weights providers.
 */
import type { ChannelQuantization, WeightRef } from '../graph/graph.js';
import { castTensor } from '../tensor/convert.js';
import { allocData, type DataType, DTYPES, isFloat, viewData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { transposeData } from '../tensor/transpose.js';
import { tensorFromRaw } from './raw.js';

/**
 * Small shape-like weights (integer tensors up to 64 KiB, any tensor of at most 16 elements) are
 * read once at load time and kept as constants, so the planner can fold the Shape/Gather/Concat
 * arithmetic around them. Everything else streams, quantised uint8 weights too: they are float
 * weights as stored (held as constants, a quantised model's small weights were all float32 in memory).
 */
export function isEagerWeight(ref: WeightRef): boolean {
  const count = ref.dims.reduce((a, b) => a * b, 1);
  if (count <= 16) return true;
  return !isFloat(ref.type) && !ref.quant && !ref.channelQuant && ref.byteLength <= 64 * 1024;
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
    const { dims, perm } = ref.fileLayout;
    // A channel axis of dims is axis perm[axis] of the file's dims.
    const channelQuant = ref.channelQuant && { ...ref.channelQuant, axis: perm[ref.channelQuant.axis] };
    const stored = weightTensor({ ...ref, dims, fileLayout: undefined, channelQuant }, bytes);
    const out = allocData(stored.type, count);
    transposeData(stored.data as Float32Array, dims, perm, out as Float32Array);
    return new Tensor(stored.type, out as never, ref.dims, stored.quant);
  }
  if (ref.channelQuant) return dequantizeChannels(ref.channelQuant, ref.dims, bytes);
  if (ref.packed || bytes.byteOffset % Math.max(1, DTYPES[ref.type].bytes) !== 0) {
    const t = tensorFromRaw(ref.type, ref.dims, bytes);
    return ref.quant ? new Tensor('uint8', t.data as Uint8Array, ref.dims, ref.quant) : t;
  }
  const data = viewData(ref.type, bytes.buffer, bytes.byteOffset, count);
  return new Tensor(ref.type, data as never, ref.dims, ref.quant);
}

/** Float32 values of per-channel uint8 `bytes` of shape `dims` (WeightRef.channelQuant). */
function dequantizeChannels(
  { axis, scales, zeroPoints }: ChannelQuantization,
  dims: readonly number[],
  bytes: Uint8Array,
): Tensor {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = dims[axis];
  const out = new Float32Array(bytes.length);
  for (let at = 0, c = 0; at < bytes.length; at += inner, c = c + 1 === channels ? 0 : c + 1) {
    const scale = scales[c];
    const zero = zeroPoints[c];
    for (let i = at; i < at + inner; i++) out[i] = (bytes[i] - zero) * scale;
  }
  return new Tensor('float32', out, dims);
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
