/**
 * Element-moving helpers for the shape and indexing operators: they copy raw elements (typed-array
 * values, bigints, float16 bit patterns or strings) without converting them, so one loop serves
 * every data type.
 */
import type { Dim } from '../../graph/graph.js';
import { asInts, asNumbers } from '../../tensor/convert.js';
import { allocData, type DataType, isBig } from '../../tensor/dtype.js';
import { formatShape, shapeSize } from '../../tensor/shape.js';
import { type Quantization, Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check, type ValueMeta } from '../op.js';

/** The raw element storage of any tensor (typed array or string[]). */
interface Elements {
  [i: number]: unknown;
  readonly length: number;
}

export function elementsOf(t: Tensor): Elements {
  return t.data as Elements;
}

/** A copy of a tensor's elements. */
export function copyElements(t: Tensor): Elements {
  return (t.data as Float32Array | string[]).slice();
}

/** Zero-filled storage ('' for strings) for `count` elements of `type`. */
export function allocElements(type: DataType, count: number): Elements {
  return allocData(type, count) as Elements;
}

export function tensorOf(
  type: DataType,
  data: Elements,
  dims: readonly number[],
  quant?: Quantization,
): Tensor {
  return new Tensor(type, data as never, dims, quant);
}

/**
 * The slices `rows` (coordinates along `axis`) of `x`, in order: the outer x rows x inner layout that
 * Gather, Compress and Unique produce.
 */
export function takeSlices(x: Tensor, axis: number, rows: ArrayLike<number>): Elements {
  const n = x.dims[axis];
  const outer = shapeSize(x.dims.slice(0, axis));
  const inner = shapeSize(x.dims.slice(axis + 1));
  const src = elementsOf(x);
  const out = allocElements(x.type, outer * rows.length * inner);
  let o = 0;
  for (let b = 0; b < outer; b++) {
    for (let k = 0; k < rows.length; k++) {
      const from = (b * n + rows[k]) * inner;
      for (let j = 0; j < inner; j++) out[o++] = src[from + j];
    }
  }
  return out;
}

/** An int64 tensor from plain numbers (indices, shapes, counts). */
export function int64Tensor(values: ArrayLike<number>, dims: readonly number[] = [values.length]): Tensor {
  return new Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** Index tensor values as numbers; index inputs must be int32 or int64 (`what` names the input in errors). */
export function indexValues(t: Tensor, what = 'indices'): ArrayLike<number> {
  check(t.type === 'int32' || t.type === 'int64', () => `${what} must be int32 or int64, got ${t.type}`);
  return asNumbers(t);
}

/** Resolves a possibly negative index into [0, dim); throws when it is out of range. */
export function resolveIndex(i: number, dim: number, what = 'index'): number {
  const r = i < 0 ? i + dim : i;
  check(r >= 0 && r < dim, () => `${what} ${i} is out of range for a dimension of ${dim}`);
  return r;
}

/**
 * The `axes` of Squeeze, Unsqueeze and the Reduce operators: input 1 in the newer opsets; the older
 * attribute is honoured at any opset (it is unambiguous). Undefined when neither is given.
 */
export function axesArgument(attrs: Attributes, axesInput: Tensor | undefined): number[] | undefined {
  if (axesInput) return asInts(axesInput);
  return attrs.has('axes') ? [...attrs.ints('axes')] : undefined;
}

/**
 * axesArgument at plan time: 'unknown' when the axes input exists but its value is not known yet.
 */
export function inferAxesArgument(
  attrs: Attributes,
  axesInput: ValueMeta | undefined,
): number[] | undefined | 'unknown' {
  if (axesInput && !axesInput.value) return 'unknown';
  return axesArgument(attrs, axesInput?.value);
}

/** Normalises axes against `rank` and checks they are unique. */
export function uniqueAxes(axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => {
    const r = a < 0 ? a + rank : a;
    check(
      Number.isInteger(r) && r >= 0 && r < rank,
      () => `${what} value ${a} is out of range for rank ${rank}`,
    );
    return r;
  });
  check(new Set(out).size === out.length, () => `${what} ${formatShape(axes)} has duplicates`);
  return out;
}

/** The product of dims when all are known, else null. */
export function dimProduct(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/**
 * A tensor element as a JavaScript value: a number, an exact bigint (int64/uint64) or a string. It
 * orders with < and > against the values of the same tensor.
 */
export type Scalar = number | bigint | string;

/** The elements as Scalars: no copy except for the 16-, 8- and 4-bit floats, which are decoded. */
export function scalarsOf(t: Tensor): ArrayLike<Scalar> {
  if (t.type === 'string' || isBig(t.type)) return t.data as ArrayLike<Scalar>;
  return asNumbers(t);
}

/** Ascending order of two values of one tensor; NaN sorts after every number. */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  // Only NaN is unordered.
  const nanA = Number.isNaN(a);
  return nanA === Number.isNaN(b) ? 0 : nanA ? 1 : -1;
}
