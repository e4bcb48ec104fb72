/**
 * Shared indexing for the Gather and Scatter operators: flat data offsets addressed by index tensors,
 * and the scatter write with its optional reduction.
 */
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { isBig } from '../../tensor/dtype.js';
import { formatShape, shapeSize, stridesOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check } from '../op.js';
import { copyElements, elementsOf, indexValues, resolveIndex, tensorOf } from './tensor-data.js';

/**
 * For each element of an index tensor shaped `idxDims` (same rank as the data), the flat data offset
 * it addresses: its own coordinates with the `axis` coordinate replaced by the index value.
 */
export function elementTargets(
  dataDims: readonly number[],
  idxDims: readonly number[],
  idx: ArrayLike<number>,
  axis: number,
): Int32Array {
  const rank = dataDims.length;
  check(idxDims.length === rank, () => `indices rank ${idxDims.length} differs from data rank ${rank}`);
  for (let d = 0; d < rank; d++) {
    check(
      d === axis || idxDims[d] <= dataDims[d],
      () => `indices shape ${formatShape(idxDims)} exceeds data shape ${formatShape(dataDims)}`,
    );
  }
  const strides = stridesOf(dataDims);
  const n = idx.length;
  const out = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let base = 0; // offset of the current coordinates without the axis term
  for (let i = 0; i < n; i++) {
    out[i] = base + resolveIndex(idx[i], dataDims[axis]) * strides[axis];
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      if (d !== axis) base += strides[d];
      if (counter[d] < idxDims[d]) break;
      if (d !== axis) base -= strides[d] * idxDims[d];
      counter[d] = 0;
    }
  }
  return out;
}

/**
 * GatherND/ScatterND addressing: `indices` of shape [..., k] selects slices data[i0..ik-1, ...] of
 * `sliceSize` elements. The first `batchDims` axes of data and indices are shared batch axes.
 * Returns the flat start offset of each selected slice.
 */
export function sliceTargets(
  dataDims: readonly number[],
  indices: Tensor,
  batchDims = 0,
): { starts: Int32Array; sliceSize: number; k: number } {
  const iDims = indices.dims;
  check(iDims.length >= 1, 'indices must have rank 1 or more');
  const k = iDims[iDims.length - 1];
  check(
    batchDims + k <= dataDims.length,
    () => `indices last dimension ${k} is too large for data of rank ${dataDims.length}`,
  );
  for (let d = 0; d < batchDims; d++) {
    check(iDims[d] === dataDims[d], () => `batch dimension ${d} differs: ${iDims[d]} and ${dataDims[d]}`);
  }
  const idx = indexValues(indices);
  const strides = stridesOf(dataDims);
  const tuples = shapeSize(iDims.slice(0, -1));
  const perBatch = shapeSize(iDims.slice(batchDims, -1));
  const batchSize = shapeSize(dataDims.slice(batchDims));
  const starts = new Int32Array(tuples);
  for (let t = 0; t < tuples; t++) {
    let off = Math.floor(t / perBatch) * batchSize;
    for (let j = 0; j < k; j++)
      off += resolveIndex(idx[t * k + j], dataDims[batchDims + j]) * strides[batchDims + j];
    starts[t] = off;
  }
  return { starts, sliceSize: shapeSize(dataDims.slice(batchDims + k)), k };
}

export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

export function scatterReduction(attrs: Attributes): ScatterReduction {
  const r = attrs.string('reduction', 'none');
  check(
    r === 'none' || r === 'add' || r === 'mul' || r === 'max' || r === 'min',
    () => `unknown reduction '${r}'`,
  );
  return r;
}

/** Each reduction on numbers and on bigints (int64/uint64, exact). */
const COMBINE: Record<
  Exclude<ScatterReduction, 'none'>,
  { number(a: number, b: number): number; bigint(a: bigint, b: bigint): bigint }
> = {
  add: { number: (a, b) => a + b, bigint: (a, b) => a + b },
  mul: { number: (a, b) => a * b, bigint: (a, b) => a * b },
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
  max: { number: Math.max, bigint: (a, b) => (a > b ? a : b) },
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints.
  min: { number: Math.min, bigint: (a, b) => (a < b ? a : b) },
};

/** A copy of `data` with updates[i] written to (or combined into) element targets[i], in order. */
export function scatter(
  data: Tensor,
  updates: Tensor,
  targets: Int32Array,
  reduction: ScatterReduction,
): Tensor {
  check(updates.type === data.type, () => `updates type ${updates.type} differs from data type ${data.type}`);
  check(
    updates.size === targets.length,
    () => `updates has ${updates.size} elements for ${targets.length} positions`,
  );
  const n = targets.length;
  if (reduction === 'none') {
    const out = copyElements(data);
    const u = elementsOf(updates);
    for (let i = 0; i < n; i++) out[targets[i]] = u[i];
    return tensorOf(data.type, out, data.dims, data.quant);
  }
  check(
    data.type !== 'string' && data.type !== 'bool',
    () => `reduction '${reduction}' does not apply to ${data.type}`,
  );
  const combine = COMBINE[reduction];
  if (isBig(data.type)) {
    const out = (data.data as BigInt64Array).slice();
    const u = updates.data as BigInt64Array;
    for (let i = 0; i < n; i++) out[targets[i]] = combine.bigint(out[targets[i]], u[i]);
    return tensorOf(data.type, out, data.dims);
  }
  const out = Float64Array.from(asNumbers(data));
  const u = asNumbers(updates);
  for (let i = 0; i < n; i++) out[targets[i]] = combine.number(out[targets[i]], u[i]);
  return tensorOf(data.type, encodeNumbers(data.type, out), data.dims, data.quant);
}
