/**
 * The Reduce* family and ArgMax/ArgMin: axes (attribute, or input 1 from opset 13 for ReduceSum and 18
 * for the others), keepdims, noop_with_empty_axes, and the empty-set values the spec defines.
 */
import type { Dim } from '../../graph/graph.js';
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { type DataType, isBig, isFloat } from '../../tensor/dtype.js';
import { normalizeAxis, shapeSize, stridesOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check, input, type OpDef } from '../op.js';
import { axesArgument, inferAxesArgument, int64Tensor, uniqueAxes } from './tensor-data.js';

type ReduceKind =
  | 'sum'
  | 'mean'
  | 'prod'
  | 'max'
  | 'min'
  | 'l1'
  | 'l2'
  | 'sumSquare'
  | 'logSum'
  | 'logSumExp';

/** Which axes are reduced: the given ones, all of them when none are given, or none (noop_with_empty_axes). */
function reducedMask(
  attrs: Attributes,
  rank: number,
  axes: readonly number[] | undefined,
): boolean[] | undefined {
  if (!axes || axes.length === 0) {
    if (attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
    return new Array<boolean>(rank).fill(true);
  }
  const mask = new Array<boolean>(rank).fill(false);
  for (const a of uniqueAxes(axes, rank)) mask[a] = true;
  return mask;
}

function reducedDims<D extends Dim>(dims: readonly D[], mask: readonly boolean[], keep: boolean): (D | 1)[] {
  return keep ? dims.map((d, i) => (mask[i] ? 1 : d)) : dims.filter((_, i) => !mask[i]);
}

/** For each input element, the flat index of the output element it reduces into. */
function outputIndexMap(dims: readonly number[], mask: readonly boolean[]): Int32Array {
  const rank = dims.length;
  const n = shapeSize(dims);
  const outStrides = stridesOf(dims.map((d, i) => (mask[i] ? 1 : d))).map((s, i) => (mask[i] ? 0 : s));
  const map = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    map[i] = o;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      o += outStrides[d];
      if (counter[d] < dims[d]) break;
      o -= outStrides[d] * dims[d];
      counter[d] = 0;
    }
  }
  return map;
}

/** The smallest and largest value of an integer type (the max/min of an empty set). */
function integerRange(type: DataType): [number, number] {
  switch (type) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    case 'bool':
      return [0, 1];
    default:
      return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  }
}

/** Float64 reduction of `v` into `outSize` cells through `map`. */
function reduceNumbers(
  kind: ReduceKind,
  type: DataType,
  v: ArrayLike<number>,
  map: Int32Array,
  outSize: number,
  count: number,
): Float64Array {
  const acc = new Float64Array(outSize);
  const n = v.length;
  switch (kind) {
    case 'sum':
    case 'mean':
    case 'logSum':
      for (let i = 0; i < n; i++) acc[map[i]] += v[i];
      break;
    case 'l1':
      for (let i = 0; i < n; i++) acc[map[i]] += Math.abs(v[i]);
      break;
    case 'l2':
    case 'sumSquare':
      for (let i = 0; i < n; i++) acc[map[i]] += v[i] * v[i];
      break;
    case 'prod':
      acc.fill(1);
      for (let i = 0; i < n; i++) acc[map[i]] *= v[i];
      break;
    case 'max':
    case 'logSumExp': {
      acc.fill(isFloat(type) ? Number.NEGATIVE_INFINITY : integerRange(type)[0]);
      // NaN propagates: once a cell is NaN no comparison replaces it.
      for (let i = 0; i < n; i++) if (v[i] > acc[map[i]] || Number.isNaN(v[i])) acc[map[i]] = v[i];
      break;
    }
    case 'min':
      acc.fill(isFloat(type) ? Number.POSITIVE_INFINITY : integerRange(type)[1]);
      for (let i = 0; i < n; i++) if (v[i] < acc[map[i]] || Number.isNaN(v[i])) acc[map[i]] = v[i];
      break;
  }
  switch (kind) {
    case 'mean':
      for (let o = 0; o < outSize; o++) acc[o] /= count;
      break;
    case 'l2':
      for (let o = 0; o < outSize; o++) acc[o] = Math.sqrt(acc[o]);
      break;
    case 'logSum':
      for (let o = 0; o < outSize; o++) acc[o] = Math.log(acc[o]);
      break;
    case 'logSumExp': {
      // log(sum(exp(x - max))) + max, which cannot overflow.
      const sum = new Float64Array(outSize);
      for (let i = 0; i < n; i++) {
        const m = acc[map[i]];
        if (Number.isFinite(m)) sum[map[i]] += Math.exp(v[i] - m);
      }
      for (let o = 0; o < outSize; o++) if (Number.isFinite(acc[o])) acc[o] += Math.log(sum[o]);
      break;
    }
    default:
  }
  return acc;
}

/** Exact int64/uint64 reduction for the kinds that stay integers. */
function reduceBig(
  kind: ReduceKind,
  x: Tensor,
  map: Int32Array,
  outSize: number,
): BigInt64Array | BigUint64Array {
  const v = x.data as BigInt64Array;
  const signed = x.type === 'int64';
  const acc = signed ? new BigInt64Array(outSize) : new BigUint64Array(outSize);
  const n = v.length;
  switch (kind) {
    case 'sum':
      for (let i = 0; i < n; i++) acc[map[i]] += v[i];
      break;
    case 'l1':
      for (let i = 0; i < n; i++) acc[map[i]] += v[i] < 0n ? -v[i] : v[i];
      break;
    case 'sumSquare':
      for (let i = 0; i < n; i++) acc[map[i]] += v[i] * v[i];
      break;
    case 'prod':
      acc.fill(1n);
      for (let i = 0; i < n; i++) acc[map[i]] *= v[i];
      break;
    case 'max':
      acc.fill(signed ? -(2n ** 63n) : 0n);
      for (let i = 0; i < n; i++) if (v[i] > acc[map[i]]) acc[map[i]] = v[i];
      break;
    case 'min':
      acc.fill(signed ? 2n ** 63n - 1n : 2n ** 64n - 1n);
      for (let i = 0; i < n; i++) if (v[i] < acc[map[i]]) acc[map[i]] = v[i];
      break;
    default:
      throw new Error(`no exact integer path for ${kind}`);
  }
  return acc;
}

const EXACT_BIG: readonly ReduceKind[] = ['sum', 'l1', 'sumSquare', 'prod', 'max', 'min'];

/** The reduction of `x` over `axes` (undefined = all, unless noop_with_empty_axes). */
function reduce(kind: ReduceKind, x: Tensor, attrs: Attributes, axes: readonly number[] | undefined): Tensor {
  check(x.type !== 'string', 'string tensors cannot be reduced');
  const mask = reducedMask(attrs, x.dims.length, axes);
  if (!mask) return x.reshape(x.dims);
  const keep = attrs.int('keepdims', 1) === 1;
  const outDims = reducedDims(x.dims, mask, keep);
  const outSize = shapeSize(outDims);
  const map = outputIndexMap(x.dims, mask);
  if (isBig(x.type) && EXACT_BIG.includes(kind))
    return new Tensor(x.type, reduceBig(kind, x, map, outSize) as never, outDims);
  const count = shapeSize(x.dims.filter((_, i) => mask[i]));
  const acc = reduceNumbers(kind, x.type, asNumbers(x), map, outSize, count);
  return new Tensor(x.type, encodeNumbers(x.type, acc) as never, outDims);
}

/**
 * A Reduce* operator. `axes` is input 1 from opset 13 (ReduceSum) or 18 (the others) and an attribute
 * before; both forms are accepted at any opset since they cannot be confused.
 */
export function reduceOp(type: string, kind: ReduceKind): OpDef {
  return {
    type,
    infer(ctx) {
      const x = ctx.inputs[0];
      if (!x?.dims) return [{ type: x?.type }];
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      const axes = inferAxesArgument(ctx.attrs, ctx.inputs[1]);
      if (axes === 'unknown') return [{ type: x.type, dims: keep ? x.dims.map((): Dim => null) : undefined }];
      const mask = reducedMask(ctx.attrs, x.dims.length, axes);
      return [{ type: x.type, dims: mask ? reducedDims(x.dims, mask, keep) : x.dims }];
    },
    run(ctx) {
      const x = input(ctx, 0);
      const axes = axesArgument(ctx.attrs, ctx.inputs[1]);
      return [reduce(kind, x, ctx.attrs, axes)];
    },
  };
}

/** ArgMax/ArgMin along `axis`; ties go to the first index unless select_last_index. Output int64. */
export function argReduceOp(type: string, largest: boolean): OpDef {
  return {
    type,
    infer(ctx) {
      const x = ctx.inputs[0];
      if (!x?.dims) return [{ type: 'int64' }];
      const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
      const mask = x.dims.map((_, i) => i === axis);
      return [{ type: 'int64', dims: reducedDims(x.dims, mask, ctx.attrs.int('keepdims', 1) === 1) }];
    },
    run(ctx) {
      const x = input(ctx, 0);
      check(x.type !== 'string', 'string tensors are not supported');
      const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
      const last = ctx.attrs.int('select_last_index', 0) === 1;
      const n = x.dims[axis];
      check(n > 0, () => `cannot take the arg${largest ? 'max' : 'min'} of an empty axis ${axis}`);
      const outer = shapeSize(x.dims.slice(0, axis));
      const inner = shapeSize(x.dims.slice(axis + 1));
      const v = isBig(x.type) ? (x.data as BigInt64Array) : asNumbers(x);
      const out = new Array<number>(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * n * inner + i;
          let best = 0;
          let bv = v[base];
          for (let k = 1; k < n; k++) {
            const e = v[base + k * inner];
            const better = largest ? e > bv || (last && e === bv) : e < bv || (last && e === bv);
            if (better) {
              best = k;
              bv = e;
            }
          }
          out[o * inner + i] = best;
        }
      }
      const mask = x.dims.map((_, i) => i === axis);
      return [int64Tensor(out, reducedDims(x.dims, mask, ctx.attrs.int('keepdims', 1) === 1))];
    },
  };
}
