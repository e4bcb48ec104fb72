/**
 * Reference elementwise machinery: one broadcasting loop for binary operators and typed wrappers
 * that build unary/binary operator definitions from a scalar function.
 */
import { type DataType, isBig, isFloat } from '../../tensor/dtype.js';
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { broadcastShapes, broadcastStrides, sameShape, shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { InferContext, KernelContext, OpDef, ValueMeta } from '../op.js';
import { check, input } from '../op.js';
import { broadcastDims, sameAsInput } from './infer.js';

type Indexed<T> = { readonly length: number; readonly [i: number]: T };
type Writable<T> = { [i: number]: T };

/**
 * out[i] = f(a[ia], b[ib]) over the numpy broadcast of the two shapes. Works on any element type
 * (numbers, bigints, strings).
 */
export function broadcastBinary<A, B, R>(
  a: Indexed<A>,
  aDims: readonly number[],
  b: Indexed<B>,
  bDims: readonly number[],
  out: Writable<R>,
  outDims: readonly number[],
  f: (x: A, y: B) => R,
): void {
  const n = shapeSize(outDims);
  if (n === 0) return;
  if (sameShape(aDims, bDims)) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return;
  }
  if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], y);
    return;
  }
  if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = f(x, b[i]);
    return;
  }
  const rank = outDims.length;
  const sa = broadcastStrides(aDims, outDims);
  const sb = broadcastStrides(bDims, outDims);
  const inner = outDims[rank - 1];
  const ia = sa[rank - 1];
  const ib = sb[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; ) {
    for (let j = 0; j < inner; j++) out[o++] = f(a[offA + j * ia], b[offB + j * ib]);
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      offA += sa[d];
      offB += sb[d];
      if (counter[d] < outDims[d]) break;
      offA -= sa[d] * outDims[d];
      offB -= sb[d] * outDims[d];
      counter[d] = 0;
    }
  }
}

/** Applies `f` across any number of broadcast inputs (Sum, Max, Min, Mean, Where...). */
export function broadcastN<T, R>(
  inputs: readonly { data: Indexed<T>; dims: readonly number[] }[],
  out: Writable<R>,
  outDims: readonly number[],
  f: (values: T[]) => R,
): void {
  const n = shapeSize(outDims);
  const rank = outDims.length;
  const strides = inputs.map((t) => broadcastStrides(t.dims, outDims));
  const offsets = new Array<number>(inputs.length).fill(0);
  const counter = new Array<number>(rank).fill(0);
  const vals = new Array<T>(inputs.length);
  for (let o = 0; o < n; o++) {
    for (let k = 0; k < inputs.length; k++) vals[k] = inputs[k].data[offsets[k]];
    out[o] = f(vals);
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      for (let k = 0; k < inputs.length; k++) offsets[k] += strides[k][d];
      if (counter[d] < outDims[d]) break;
      for (let k = 0; k < inputs.length; k++) offsets[k] -= strides[k][d] * outDims[d];
      counter[d] = 0;
    }
  }
}

export interface BinarySpec {
  readonly type: string;
  /** Scalar function on numbers (float math, or integer math on 8-32 bit types). */
  readonly number: (a: number, b: number) => number;
  /** Scalar function for int64/uint64; without it those types compute through numbers. */
  readonly bigint?: (a: bigint, b: bigint) => bigint;
  /** Integer (non-float) variant when it differs from `number` (e.g. Div truncates). */
  readonly integer?: (a: number, b: number) => number;
  /** Output type: same as the inputs (default) or bool (comparisons). */
  readonly output?: 'same' | 'bool';
  /** Input types accepted; default all numeric types. */
  readonly accepts?: (t: DataType) => boolean;
}

/** Broadcast output meta for binary ops. */
export function inferBroadcast(ctx: InferContext, type?: DataType): ValueMeta[] {
  const metas = ctx.inputs.filter((m) => m !== undefined);
  return [{ type: type ?? metas[0]?.type, dims: broadcastDims(metas.map((m) => m.dims)) }];
}

/** Runs a binary elementwise kernel on two tensors of the same type. */
export function runBinary(spec: BinarySpec, a: Tensor, b: Tensor): Tensor {
  check(a.type === b.type, () => `input types differ: ${a.type} and ${b.type}`);
  check(!spec.accepts || spec.accepts(a.type), () => `type ${a.type} is not supported`);
  const outDims = broadcastShapes(a.dims, b.dims);
  const outType: DataType = spec.output === 'bool' ? 'bool' : a.type;
  if (isBig(a.type) && spec.bigint) {
    if (spec.output === 'bool') {
      const out = new Uint8Array(shapeSize(outDims));
      const g = spec.bigint;
      broadcastBinary(a.data as BigInt64Array, a.dims, b.data as BigInt64Array, b.dims, out, outDims, (x, y) =>
        Number(g(x, y)),
      );
      return new Tensor('bool', out, outDims);
    }
    const out = a.type === 'int64' ? new BigInt64Array(shapeSize(outDims)) : new BigUint64Array(shapeSize(outDims));
    broadcastBinary(a.data as BigInt64Array, a.dims, b.data as BigInt64Array, b.dims, out, outDims, spec.bigint);
    return new Tensor(outType, out as never, outDims);
  }
  const f = !isFloat(a.type) && spec.integer ? spec.integer : spec.number;
  const x = asNumbers(a);
  const y = asNumbers(b);
  const direct = outType === a.type && !needsEncoding(a.type);
  const out = direct ? (new (a.data.constructor as Float32ArrayConstructor)(shapeSize(outDims))) : new Float64Array(shapeSize(outDims));
  broadcastBinary(x, a.dims, y, b.dims, out, outDims, f);
  return new Tensor(outType, (direct ? out : encodeNumbers(outType, out)) as never, outDims);
}

/** Types whose typed array does not hold plain numbers (need encodeNumbers on output). */
function needsEncoding(type: DataType): boolean {
  return type === 'float16' || type === 'bfloat16' || type === 'bool' || isBig(type) || type.startsWith('float8') || type === 'float4e2m1';
}

export function binaryOp(spec: BinarySpec): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => inferBroadcast(ctx, spec.output === 'bool' ? 'bool' : undefined),
    run: (ctx: KernelContext) => [runBinary(spec, input(ctx, 0), input(ctx, 1))],
  };
}

export interface UnarySpec {
  readonly type: string;
  readonly number: (x: number) => number;
  readonly bigint?: (x: bigint) => bigint;
  /** Restricts input types (default: any numeric type). */
  readonly accepts?: (t: DataType) => boolean;
  /** Output type when it differs from the input's (e.g. bool for IsNaN). */
  readonly output?: DataType;
}

/** Runs a unary elementwise kernel. */
export function runUnary(spec: UnarySpec, x: Tensor): Tensor {
  check(!spec.accepts || spec.accepts(x.type), () => `type ${x.type} is not supported`);
  const outType = spec.output ?? x.type;
  if (isBig(x.type) && spec.bigint && outType === x.type) {
    const src = x.data as BigInt64Array;
    const out = new (src.constructor as BigInt64ArrayConstructor)(src.length);
    for (let i = 0; i < src.length; i++) out[i] = spec.bigint(src[i]);
    return new Tensor(outType, out as never, x.dims);
  }
  const v = asNumbers(x);
  const direct = outType === x.type && !needsEncoding(x.type);
  const out = direct ? (new (x.data.constructor as Float32ArrayConstructor)(v.length)) : new Float64Array(v.length);
  const f = spec.number;
  for (let i = 0; i < v.length; i++) out[i] = f(v[i]);
  return new Tensor(outType, (direct ? out : encodeNumbers(outType, out)) as never, x.dims);
}

export function unaryOp(spec: UnarySpec): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => (spec.output ? [{ type: spec.output, dims: ctx.inputs[0]?.dims }] : sameAsInput(ctx)),
    run: (ctx: KernelContext) => [runUnary(spec, input(ctx, 0))],
  };
}

/** Float types only (activation functions). */
export const floatOnly = (t: DataType): boolean => isFloat(t);
