/**
 * Element conversions between tensors and plain JavaScript numbers, for the reference kernels.
 */
import { allocData, type DataType, type DataTypeMap, DTYPES } from './dtype.js';
import { fromBfloat16, fromHalf, halfToFloat32, toBfloat16, toHalf } from './float16.js';
import { decodeMinifloat, encodeMinifloat, isMinifloat } from './minifloat.js';
import { Tensor } from './tensor.js';

/**
 * The elements of a numeric or bool tensor as numbers. No copy for float32/float64 and the
 * 8/16/32-bit integer types; float16, bfloat16, the 8/4-bit floats and int64/uint64 are converted
 * (int64 beyond 2^53 loses precision: use `t.data` directly where that matters).
 */
export function asNumbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  switch (t.type) {
    case 'float16':
      return halfToFloat32(d as Uint16Array);
    case 'bfloat16':
      return Float32Array.from(d as Uint16Array, fromBfloat16);
    case 'int64':
    case 'uint64':
      return Float64Array.from(d as BigInt64Array, Number);
    case 'string':
      throw new TypeError('string tensor has no numeric value');
    default:
      if (isMinifloat(t.type)) return Float32Array.from(d as Uint8Array, (b) => decodeMinifloat(t.type, b));
      return d as ArrayLike<number>;
  }
}

/** asNumbers, as float32 (for kernels that compute in float32). */
export function asFloat32(t: Tensor): Float32Array {
  const v = asNumbers(t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** Builds a tensor of `type` from numbers (rounding/wrapping as a typed-array store does; bool = non-zero). */
export function fromNumbers<D extends DataType>(
  type: D,
  values: ArrayLike<number>,
  dims: readonly number[],
): Tensor<D> {
  return new Tensor<D>(type, encodeNumbers(type, values) as never, dims);
}

export function encodeNumbers<D extends DataType>(type: D, values: ArrayLike<number>): DataTypeMap[D] {
  const n = values.length;
  const out = allocData(type, n);
  switch (type) {
    case 'float16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = toHalf(values[i]);
      break;
    }
    case 'bfloat16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = toBfloat16(values[i]);
      break;
    }
    case 'int64':
    case 'uint64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        o[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
      }
      break;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = values[i] ? 1 : 0;
      break;
    }
    case 'string':
      throw new TypeError('cannot encode numbers as strings');
    default:
      if (isMinifloat(type)) {
        const o = out as Uint8Array;
        for (let i = 0; i < n; i++) o[i] = encodeMinifloat(type, values[i], true);
      } else if (DTYPES[type].kind === 'float') {
        (out as Float32Array).set(values);
      } else {
        const o = out as Int32Array;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          o[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
        }
      }
  }
  return out;
}

/** Integer elements (int32/int64/...) as numbers: shape-like inputs such as Reshape's shape or Slice's starts. */
export function asInts(t: Tensor): number[] {
  return Array.from(asNumbers(t), (v) => Math.trunc(v));
}

/** The single element of a scalar or one-element tensor, as a number. */
export function scalarOf(t: Tensor, what = 'value'): number {
  if (t.size !== 1) throw new RangeError(`${what} must have exactly one element, has shape [${t.dims.join(',')}]`);
  return asNumbers(t)[0];
}

/** One element as a number, without converting the whole tensor. */
export function elementAsNumber(t: Tensor, i: number): number {
  const d = t.data;
  switch (t.type) {
    case 'float16':
      return fromHalf((d as Uint16Array)[i]);
    case 'bfloat16':
      return fromBfloat16((d as Uint16Array)[i]);
    case 'int64':
    case 'uint64':
      return Number((d as BigInt64Array)[i]);
    default:
      if (isMinifloat(t.type)) return decodeMinifloat(t.type, (d as Uint8Array)[i]);
      return (d as Float32Array)[i];
  }
}
