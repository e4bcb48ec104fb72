/**
 * Reference elementwise machinery: broadcasting loops and factories that build unary, binary,
 * comparison and variadic operator definitions from scalar functions.
 */
import type { Dim } from '../../graph/graph.js';
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { type DataType, DTYPES, isBig, isFloat } from '../../tensor/dtype.js';
import { isMinifloat } from '../../tensor/minifloat.js';
import {
  broadcastShapes,
  broadcastStrides,
  normalizeAxis,
  sameShape,
  shapeSize,
} from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check, type InferContext, input, type KernelContext, type OpDef, type ValueMeta } from '../op.js';
import { broadcastDims, sameAsInput } from './infer.js';
import { type Scalar, scalarsOf } from './tensor-data.js';

export type Indexed<T> = { readonly length: number; readonly [i: number]: T };
export type Writable<T> = { [i: number]: T };

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

/** Applies `f` across any number of broadcast inputs (Where...). */
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

/** Float types only (activation functions). */
export const floatOnly = (t: DataType): boolean => isFloat(t);
/** Numeric types (not bool or string). */
export const numeric = (t: DataType): boolean => t !== 'bool' && t !== 'string';
/** Integer types (signed or unsigned, any width). */
export const integerOnly = (t: DataType): boolean => DTYPES[t].kind === 'int' || DTYPES[t].kind === 'uint';
/** Signed numeric types (float or signed integer). */
export const signedNumeric = (t: DataType): boolean => DTYPES[t].kind === 'int' || isFloat(t);
export const boolOnly = (t: DataType): boolean => t === 'bool';

/** Checks `accepts` with the operator's usual message. */
export function checkType(type: DataType, accepts: (t: DataType) => boolean): void {
  check(accepts(type), () => `type ${type} is not supported`);
}

/** Types whose typed array does not hold the plain numbers (need encodeNumbers on output). */
function needsEncoding(type: DataType): boolean {
  return (
    type === 'float16' ||
    type === 'bfloat16' ||
    type === 'bool' ||
    isBig(type) ||
    isMinifloat(type) ||
    DTYPES[type].bits < 8
  );
}

/** An output array for `n` numbers of `type`: its own typed array when stores need no conversion. */
export function numberOutput(type: DataType, n: number): Float32Array | Float64Array {
  if (needsEncoding(type)) return new Float64Array(n);
  return new (DTYPES[type].array as Float32ArrayConstructor)(n);
}

/** The tensor of `type` holding numbers computed into a `numberOutput` array. */
export function finishNumbers(
  type: DataType,
  out: Float32Array | Float64Array,
  dims: readonly number[],
): Tensor {
  return new Tensor(type, (needsEncoding(type) ? encodeNumbers(type, out) : out) as never, dims);
}

export interface BinarySpec {
  readonly type: string;
  /** Scalar function on numbers (float math, or integer math on 8-32 bit types). */
  readonly number: (a: number, b: number) => number;
  /** Scalar function for int64/uint64; without it those types compute through numbers. */
  readonly bigint?: (a: bigint, b: bigint) => bigint;
  /** Integer (non-float) variant when it differs from `number` (e.g. Div truncates). */
  readonly integer?: (a: number, b: number) => number;
  /** Input types accepted; default all numeric types. */
  readonly accepts?: (t: DataType) => boolean;
}

/** Broadcast output meta for elementwise ops with any number of inputs; `type` defaults to input 0's. */
export function inferBroadcast(ctx: InferContext, type?: DataType): ValueMeta[] {
  const metas = ctx.inputs.filter((m) => m !== undefined);
  return [{ type: type ?? metas[0]?.type, dims: broadcastDims(metas.map((m) => m.dims)) }];
}

/**
 * Before opset 7, binary operators broadcast only B, only with broadcast=1, and `axis` lines B's
 * dims up with A's from that axis instead of from the end. Returns B's dims padded with 1s so that
 * numpy broadcasting does the same, or undefined when the attributes do not apply.
 */
function legacyBroadcastDims<D extends Dim>(
  ctx: { readonly attrs: Attributes; readonly opset: number },
  aRank: number,
  bDims: readonly D[],
): (D | 1)[] | undefined {
  if (ctx.opset >= 7 || !ctx.attrs.has('axis') || ctx.attrs.int('broadcast', 0) === 0) return undefined;
  const axis = normalizeAxis(ctx.attrs.int('axis'), aRank);
  check(
    axis + bDims.length <= aRank,
    () => `B of rank ${bDims.length} does not fit A of rank ${aRank} from axis ${axis}`,
  );
  return [...new Array<1>(axis).fill(1), ...bDims, ...new Array<1>(aRank - axis - bDims.length).fill(1)];
}

/** Inputs 0 and 1 of a binary operator, B aligned by the pre-opset-7 `axis` attribute. */
export function binaryInputs(ctx: KernelContext): [Tensor, Tensor] {
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const dims = legacyBroadcastDims(ctx, a.dims.length, b.dims);
  return [a, dims ? b.reshape(dims) : b];
}

/** inferBroadcast for binary operators, honouring the pre-opset-7 `axis` attribute. */
export function inferBinary(ctx: InferContext, type?: DataType): ValueMeta[] {
  const a = ctx.inputs[0];
  const b = ctx.inputs[1];
  const dims = a?.dims && b?.dims ? legacyBroadcastDims(ctx, a.dims.length, b.dims) : undefined;
  if (!a?.dims || !dims) return inferBroadcast(ctx, type);
  return [{ type: type ?? a.type, dims: broadcastDims([a.dims, dims]) }];
}

/** Runs a binary elementwise kernel on two tensors of the same type. */
export function runBinary(spec: BinarySpec, a: Tensor, b: Tensor): Tensor {
  check(a.type === b.type, () => `input types differ: ${a.type} and ${b.type}`);
  checkType(a.type, spec.accepts ?? numeric);
  const outDims = broadcastShapes(a.dims, b.dims);
  const n = shapeSize(outDims);
  if (isBig(a.type) && spec.bigint) {
    const out = a.type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
    broadcastBinary(
      a.data as BigInt64Array,
      a.dims,
      b.data as BigInt64Array,
      b.dims,
      out,
      outDims,
      spec.bigint,
    );
    return new Tensor(a.type, out as never, outDims);
  }
  const f = !isFloat(a.type) && spec.integer ? spec.integer : spec.number;
  const out = numberOutput(a.type, n);
  broadcastBinary(asNumbers(a), a.dims, asNumbers(b), b.dims, out, outDims, f);
  return finishNumbers(a.type, out, outDims);
}

export function binaryOp(spec: BinarySpec): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => inferBinary(ctx),
    run: (ctx: KernelContext) => [runBinary(spec, ...binaryInputs(ctx))],
  };
}

interface CompareSpec {
  readonly type: string;
  /** The comparison; both arguments have the same JavaScript type (number, bigint or string). */
  readonly test: (a: Scalar, b: Scalar) => boolean;
  readonly accepts: (t: DataType) => boolean;
}

/** Comparison operators: same-type inputs, broadcast, bool output; int64 compares exactly. */
export function compareOp(spec: CompareSpec): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => inferBinary(ctx, 'bool'),
    run(ctx) {
      const [a, b] = binaryInputs(ctx);
      check(a.type === b.type, () => `input types differ: ${a.type} and ${b.type}`);
      checkType(a.type, spec.accepts);
      const outDims = broadcastShapes(a.dims, b.dims);
      const out = new Uint8Array(shapeSize(outDims));
      const test = spec.test;
      broadcastBinary(scalarsOf(a), a.dims, scalarsOf(b), b.dims, out, outDims, (x, y) =>
        test(x, y) ? 1 : 0,
      );
      return [new Tensor('bool', out, outDims)];
    },
  };
}

/**
 * Max, Min, Sum, Mean: a binary kernel folded left over one or more broadcast inputs; `finish`
 * post-processes the folded result (Mean divides by the input count).
 */
export function variadicOp(spec: BinarySpec, finish?: (folded: Tensor, count: number) => Tensor): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => inferBroadcast(ctx),
    run(ctx) {
      const inputs = ctx.inputs.filter((t) => t !== undefined);
      check(inputs.length > 0, `${spec.type} needs at least one input`);
      let acc = inputs[0];
      checkType(acc.type, spec.accepts ?? numeric);
      for (let k = 1; k < inputs.length; k++) acc = runBinary(spec, acc, inputs[k]);
      if (finish) return [finish(acc, inputs.length)];
      return [inputs.length === 1 ? acc.reshape(acc.dims) : acc];
    },
  };
}

interface UnarySpec {
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
  checkType(x.type, spec.accepts ?? numeric);
  const outType = spec.output ?? x.type;
  if (isBig(x.type) && spec.bigint && outType === x.type) {
    const src = x.data as BigInt64Array;
    const out = new (src.constructor as BigInt64ArrayConstructor)(src.length);
    const g = spec.bigint;
    for (let i = 0; i < src.length; i++) out[i] = g(src[i]);
    return new Tensor(outType, out as never, x.dims);
  }
  const v = asNumbers(x);
  const out = numberOutput(outType, v.length);
  const f = spec.number;
  for (let i = 0; i < v.length; i++) out[i] = f(v[i]);
  return finishNumbers(outType, out, x.dims);
}

export function unaryOp(spec: UnarySpec): OpDef {
  return unaryOpWithAttrs(spec, () => spec.number);
}

/** A unary operator whose scalar function is built from the node's attributes (alpha, beta...). */
export function unaryOpWithAttrs(
  spec: Omit<UnarySpec, 'number'>,
  build: (attrs: Attributes, opset: number) => (x: number) => number,
): OpDef {
  return {
    type: spec.type,
    infer: (ctx) => (spec.output ? [{ type: spec.output, dims: ctx.inputs[0]?.dims }] : sameAsInput(ctx)),
    run: (ctx: KernelContext) => [runUnary({ ...spec, number: build(ctx.attrs, ctx.opset) }, input(ctx, 0))],
  };
}

/**
 * erf(x) (JavaScript has no Math.erf): its Taylor series below |x| = 2.5, the continued fraction of
 * erfc above; relative error far below float32 resolution.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return sum * 1.1283791670955126;
  }
  if (!(a <= 6)) return Number.isNaN(x) ? x : Math.sign(x);
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated bottom-up.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / 1.7724538509055159 / f;
  return Math.sign(x) * (1 - erfc);
}
