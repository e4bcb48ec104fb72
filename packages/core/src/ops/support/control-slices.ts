/**
 * Slicing one index out of an axis and stacking tensors along a new axis: how Scan and Loop feed
 * their bodies one step at a time and collect per-iteration outputs. Works for every element type.
 */
import { allocData, type DataType, type TensorData } from '../../tensor/dtype.js';
import { formatShape, sameShape, shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check } from '../op.js';

/** Copies `count` elements; both arrays hold the same element type. */
function copyRange(src: TensorData, from: number, dst: TensorData, to: number, count: number): void {
  if (Array.isArray(src)) {
    const d = dst as string[];
    for (let i = 0; i < count; i++) d[to + i] = src[from + i];
  } else {
    (dst as Float32Array).set((src as Float32Array).subarray(from, from + count), to);
  }
}

/** `t` at `index` of `axis`, with that axis removed. */
export function takeAlong(t: Tensor, axis: number, index: number): Tensor {
  const dims = t.dims;
  const n = dims[axis];
  const outer = shapeSize(dims.slice(0, axis));
  const inner = shapeSize(dims.slice(axis + 1));
  const out = allocData(t.type, outer * inner);
  for (let o = 0; o < outer; o++) copyRange(t.data, (o * n + index) * inner, out, o * inner, inner);
  return new Tensor(t.type, out as never, [...dims.slice(0, axis), ...dims.slice(axis + 1)]);
}

/** What every part of a stack must look like. */
export interface StackShape {
  readonly type: DataType;
  readonly dims: readonly number[];
}

/**
 * Stacks `parts` along a new axis `axis` (0..rank). An undefined part stays zero (Scan-8 pads
 * sequences shorter than the batch's longest). `shape` describes the parts when none is given.
 */
export function stackAlong(parts: readonly (Tensor | undefined)[], axis: number, shape: StackShape): Tensor {
  const { type, dims } = shape;
  for (const p of parts) {
    if (!p) continue;
    check(p.type === type, () => `iteration outputs differ in type: ${type} and ${p.type}`);
    check(
      sameShape(p.dims, dims),
      () => `iteration outputs differ in shape: ${formatShape(dims)} and ${formatShape(p.dims)}`,
    );
  }
  const count = parts.length;
  const outer = shapeSize(dims.slice(0, axis));
  const inner = shapeSize(dims.slice(axis));
  const out = allocData(type, outer * count * inner);
  parts.forEach((p, k) => {
    if (!p) return;
    for (let o = 0; o < outer; o++) copyRange(p.data, o * inner, out, (o * count + k) * inner, inner);
  });
  return new Tensor(type, out as never, [...dims.slice(0, axis), count, ...dims.slice(axis)]);
}
