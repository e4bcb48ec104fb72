/**
 * Reading some rows of a weight instead of all of it: an embedding table (CLIP's 49408x768 token
 * embedding is 145 MiB in float32) gathered by a prompt's 77 token ids needs 77 rows.
 */
import { errorMessage, WeightsError } from '../errors.js';
import type { ModelFiles } from '../files/model-files.js';
import { alignedBytes } from '../files/model-files.js';
import type { WeightRef } from '../graph/graph.js';
import { takeSlices, tensorOf } from '../ops/support/tensor-data.js';
import { DTYPES } from '../tensor/dtype.js';
import { hostAllocator } from '../tensor/host-memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { weightTensor } from './weights.js';

/** Reads issued at once by readWeightRows. */
const CONCURRENT_READS = 8;

/**
 * Whether a weight's rows (slices along axis 0) lie one after another in its file: a row-major
 * layout of whole bytes (not a transposed file layout, not packed sub-byte elements, not strings).
 */
export function rowReadable(ref: WeightRef): boolean {
  return (
    ref.dims.length >= 1 &&
    ref.dims[0] > 0 &&
    !ref.fileLayout &&
    !ref.packed &&
    ref.type !== 'string' &&
    DTYPES[ref.type].bytes > 0 &&
    ref.byteLength % ref.dims[0] === 0
  );
}

/**
 * Reads rows `rows` (coordinates along axis 0, each in range) of a weight from its file, one read
 * per run of consecutive rows. Returns a fresh tensor of the file's type, `[rows.length,
 * ...ref.dims.slice(1)]`, with the weight's quantisation; rows repeat where `rows` repeats them.
 */
export async function readWeightRows(
  files: ModelFiles,
  ref: WeightRef,
  rows: ArrayLike<number>,
): Promise<Tensor> {
  if (!rowReadable(ref)) throw new WeightsError(`weight '${ref.name}' (${ref.file}) cannot be read by rows`);
  const count = ref.dims[0];
  const rowBytes = ref.byteLength / count;
  const unique = [...new Set(Array.from(rows))].sort((a, b) => a - b);
  for (const r of [unique[0], unique[unique.length - 1]]) {
    if (r !== undefined && !(Number.isInteger(r) && r >= 0 && r < count)) {
      throw new WeightsError(`weight '${ref.name}': row ${r} is out of range for ${count} rows`);
    }
  }
  const first = rows[0];
  if (rows.length > 0 && Array.prototype.every.call(rows, (r: number, i: number) => r === first + i)) {
    return readRowRange(files, ref, first, rows.length);
  }
  const runs: [first: number, length: number][] = [];
  for (const r of unique) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === r) last[1]++;
    else runs.push([r, 1]);
  }
  const bytesOf = new Map<number, Uint8Array>();
  try {
    for (let i = 0; i < runs.length; i += CONCURRENT_READS) {
      await Promise.all(
        runs.slice(i, i + CONCURRENT_READS).map(async ([first, length]) => {
          const b = await files.read(ref.file, ref.offset + first * rowBytes, length * rowBytes);
          for (let k = 0; k < length; k++)
            bytesOf.set(first + k, b.subarray(k * rowBytes, (k + 1) * rowBytes));
        }),
      );
    }
  } catch (e) {
    throw new WeightsError(
      `cannot read rows of weight '${ref.name}' from '${ref.file}': ${errorMessage(e)}`,
      {
        cause: e,
      },
    );
  }
  const out = alignedBytes(rows.length * rowBytes);
  for (let i = 0; i < rows.length; i++) out.set(bytesOf.get(rows[i])!, i * rowBytes);
  return weightTensor(rowsRef(ref, rows), out);
}

/**
 * Rows [first, first + count) in one read, into a buffer from the host allocator when one is
 * registered (freed when the tensor is disposed: a sliced weight's blocks leave no garbage behind).
 */
async function readRowRange(
  files: ModelFiles,
  ref: WeightRef,
  first: number,
  count: number,
): Promise<Tensor> {
  const rowBytes = ref.byteLength / ref.dims[0];
  const allocator = hostAllocator();
  const buffer = allocator?.allocate(count * rowBytes);
  let bytes: Uint8Array;
  try {
    bytes = await files.read(
      ref.file,
      ref.offset + first * rowBytes,
      count * rowBytes,
      buffer && new Uint8Array(buffer),
    );
  } catch (e) {
    if (buffer) allocator?.free(buffer);
    throw new WeightsError(
      `cannot read rows of weight '${ref.name}' from '${ref.file}': ${errorMessage(e)}`,
      {
        cause: e,
      },
    );
  }
  let t: Tensor;
  try {
    t = weightTensor(
      rowsRef(
        ref,
        Array.from({ length: count }, (_, i) => first + i),
      ),
      bytes,
    );
  } catch (e) {
    if (buffer) allocator?.free(buffer);
    throw e;
  }
  if (!buffer) return t;
  if ((t.data as ArrayBufferView).buffer === buffer) t.setDisposer(() => allocator?.free(buffer));
  else allocator?.free(buffer); // the tensor is a copy (an unaligned element type)
  return t;
}

/** Rows `rows` of a weight already in memory (as `get` returned it), in the same form. */
export function takeWeightRows(t: Tensor, rows: ArrayLike<number>): Tensor {
  return tensorOf(t.type, takeSlices(t, 0, rows), [rows.length, ...t.dims.slice(1)], t.quant);
}

/** The weight of rows `rows` alone (a channel axis 0 keeps those rows' quantisation). */
function rowsRef(ref: WeightRef, rows: ArrayLike<number>): WeightRef {
  const n = rows.length;
  const q = ref.channelQuant;
  const channelQuant =
    q && q.axis === 0
      ? {
          axis: 0,
          scales: Float32Array.from(rows, (r) => q.scales[r]),
          zeroPoints: Uint8Array.from(rows, (r) => q.zeroPoints[r]),
        }
      : q;
  return {
    ...ref,
    offset: 0,
    dims: [n, ...ref.dims.slice(1)],
    byteLength: (ref.byteLength / ref.dims[0]) * n,
    channelQuant,
  };
}
