/**
 * Attention on float32, or on float16 under fp16 arithmetic (read a block at a time into float32,
 * where scores, softmax and P.V accumulate; only the output is rounded), through one tiled
 * online-softmax kernel (the Q.K^T matrix is never stored):
 * OnnxStream's AttentionFusedOps (Q, K^T, optional scale, V) and ScaledDotProductAttention
 * (Q, K, s, mask, V[, s1]), and ONNX Attention (opset 23) in 3-D or 4-D form with an additive or
 * boolean mask, causal masking, softcap, GQA and nonpad_kv_seqlen, without past key/values.
 */
import { asNumbers, type DataType, type KernelCall, scalarOf, type Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import {
  allFloat16,
  allFloat32,
  elemParam,
  type KernelOp,
  outputDims,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { omitsInputsFrom, reference, usesOnlyOutputs, view } from './support.js';

const NO_MASK = new Float32Array(0);

interface AttentionArgs {
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
  readonly shape: readonly number[]; // batch, q heads, kv heads, q len, kv len, head dim, v dim
  /** Strides (b, h, t) of q, v and y, and (b, h, t, d) of k. */
  readonly qs: readonly number[];
  readonly ks: readonly number[];
  readonly vs: readonly number[];
  readonly ys: readonly number[];
  readonly scale: number;
  readonly softcap?: number;
  readonly causal?: boolean;
  readonly mask?: Tensor;
  /** Mask strides (b, h, q) and its key count. */
  readonly maskStrides?: readonly number[];
  readonly maskLen?: number;
  readonly kvLens?: ArrayLike<number>;
}

async function attend(
  binding: KernelBinding,
  outDims: readonly number[],
  a: AttentionArgs,
): Promise<Tensor[]> {
  const y = outputTensor(binding, outDims, a.q.type as 'float32' | 'float16');
  const [batch, hq, , tq, tkv, d] = a.shape;
  const mask = a.mask;
  const kind = !mask ? 0 : mask.type === 'bool' ? 2 : 1;
  await runKernel(
    binding,
    'attention_f32',
    batch * hq * tq * tkv * d,
    [view(a.q), view(a.k), view(a.v), mask ? view(mask) : NO_MASK, view(y)],
    [
      ...a.shape,
      ...a.qs,
      ...a.ks,
      ...a.vs,
      ...a.ys,
      a.scale,
      a.softcap ?? 0,
      a.causal ? 1 : 0,
      kind,
      ...(a.maskStrides ?? [0, 0, 0]),
      a.maskLen ?? 0,
      a.kvLens ? 1 : 0,
      ...Array.from(a.kvLens ?? []),
      ...elemParam(a.q),
    ],
  );
  return [y];
}

/** float32 throughout, or float16 throughout (fp16 arithmetic). */
const oneFloatType = (types: readonly (DataType | undefined)[]): boolean =>
  (types[0] === 'float32' && allFloat32(types)) || allFloat16(types);

/** Row-major strides of the leading axes (b, h, t) of a (B, H, T, D) tensor. */
const bht = (dims: readonly number[]): number[] => [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3]];

/** (n, a, b) of a 3-D operand or of a 4-D one with a leading 1. */
function heads3d(t: Tensor): readonly number[] | undefined {
  const d = t.dims;
  return d.length === 3 || (d.length === 4 && d[0] === 1) ? d.slice(-3) : undefined;
}

export const attentionFusedOps: KernelOp = {
  types: ['AttentionFusedOps'],
  supports: (node, types) => oneFloatType(types) && node.inputs.length === 4,
  async run(call, binding) {
    const [q, kt, s, v] = call.inputs as (Tensor | undefined)[];
    const [qd, kd, vd] = [q!, kt!, v!].map(heads3d);
    // Shapes the reference rejects get its error message.
    if (!qd || !kd || !vd || (s && s.dims.length !== 0)) return reference(call);
    const [n, rows, d] = qd;
    const [, , kv] = kd;
    const dv = vd[2];
    if (kd[0] !== n || vd[0] !== n || kd[1] !== d || vd[1] !== kv) return reference(call);
    return attend(binding, outputDims(call), {
      q: q!,
      k: kt!,
      v: v!,
      shape: [1, n, n, rows, kv, d, dv],
      qs: [0, rows * d, d],
      ks: [0, d * kv, 1, kv],
      vs: [0, kv * dv, dv],
      ys: [0, rows * dv, dv],
      scale: s ? scalarOf(s, 'scale') : 1,
    });
  },
};

const isScalar = (t: Tensor): boolean => t.dims.length === 0 || (t.dims.length === 1 && t.dims[0] === 1);

export const sdpaOps: KernelOp = {
  types: ['ScaledDotProductAttention'],
  supports: (node, types) => oneFloatType(types) && node.inputs.length >= 5,
  async run(call, binding) {
    const [q, k, s0, mask, v, s1] = call.inputs as (Tensor | undefined)[];
    if (!q || !k || !s0 || !mask || !v || [q, k, v].some((t) => t.dims.length !== 4)) return reference(call);
    const [batch, hq, tq, d] = q.dims;
    const [kb, hkv, tkv, kd] = k.dims;
    const md = mask.dims;
    const maskOk =
      (md.length === 2 || (md.length === 4 && md[0] === 1 && md[1] === 1)) &&
      md[md.length - 2] === tq &&
      md[md.length - 1] === tkv;
    if (
      kb !== batch ||
      kd !== d ||
      hq % hkv !== 0 ||
      v.dims[0] !== batch ||
      v.dims[1] !== hkv ||
      v.dims[2] !== tkv ||
      !maskOk ||
      !isScalar(s0) ||
      (s1 && !isScalar(s1))
    ) {
      return reference(call);
    }
    const scale = s1 ? scalarOf(s0, 's0') * scalarOf(s1, 's1') : 1 / scalarOf(s0, 's');
    return attend(binding, outputDims(call), {
      q,
      k,
      v,
      shape: [batch, hq, hkv, tq, tkv, d, v.dims[3]],
      qs: bht(q.dims),
      ks: [...bht(k.dims), 1],
      vs: bht(v.dims),
      ys: [hq * tq * v.dims[3], tq * v.dims[3], v.dims[3]],
      scale,
      mask,
      maskStrides: [0, 0, tkv],
      maskLen: tkv,
    });
  },
};

/** ONNX Attention without past key/values and with only Y wanted. */
async function onnxAttention(call: KernelCall, binding: KernelBinding): Promise<Tensor[]> {
  const [q, k, v, mask] = call.inputs as (Tensor | undefined)[];
  const nonpad = call.inputs[6];
  const rank = q!.dims.length;
  if ((rank !== 3 && rank !== 4) || k!.dims.length !== rank || v!.dims.length !== rank)
    return reference(call);
  let shape: number[];
  let qs: number[];
  let ks: number[];
  let vs: number[];
  let ys: number[];
  if (rank === 3) {
    const hq = call.attrs.int('q_num_heads');
    const hkv = call.attrs.int('kv_num_heads');
    const [batch, tq, qh] = q!.dims;
    const [, tkv, kh] = k!.dims;
    const vh = v!.dims[2];
    if (
      hq <= 0 ||
      hkv <= 0 ||
      qh % hq ||
      kh % hkv ||
      vh % hkv ||
      k!.dims[0] !== batch ||
      v!.dims[0] !== batch ||
      v!.dims[1] !== tkv
    ) {
      return reference(call);
    }
    const [d, dv] = [qh / hq, vh / hkv];
    if (kh / hkv !== d) return reference(call);
    shape = [batch, hq, hkv, tq, tkv, d, dv];
    // (B, T, H * D): head h of row t starts at t * H * D + h * D.
    qs = [tq * qh, d, qh];
    ks = [tkv * kh, d, kh, 1];
    vs = [tkv * vh, dv, vh];
    ys = [tq * hq * dv, dv, hq * dv];
  } else {
    const [batch, hq, tq, d] = q!.dims;
    const [kb, hkv, tkv, kd] = k!.dims;
    const [vb, vhkv, vt, dv] = v!.dims;
    if (kb !== batch || vb !== batch || kd !== d || vhkv !== hkv || vt !== tkv) return reference(call);
    shape = [batch, hq, hkv, tq, tkv, d, dv];
    qs = bht(q!.dims);
    ks = [...bht(k!.dims), 1];
    vs = bht(v!.dims);
    ys = [hq * tq * dv, tq * dv, dv];
  }
  const [batch, hq, hkv, tq, tkv, d] = shape;
  if (hq % hkv !== 0) return reference(call);
  let maskStrides: number[] | undefined;
  let maskLen: number | undefined;
  if (mask) {
    // The mask broadcasts right-aligned to (B, H, Tq, L), L <= kv length.
    const md = mask.dims;
    if (md.length < 2 || md.length > 4) return reference(call);
    const full = [...new Array<number>(4 - md.length).fill(1), ...md];
    const target = [batch, hq, tq];
    if (full.slice(0, 3).some((x, i) => x !== 1 && x !== target[i]) || full[3] > tkv) return reference(call);
    maskLen = full[3];
    maskStrides = [full[1] * full[2] * maskLen, full[2] * maskLen, maskLen].map((st, i) =>
      full[i] === 1 ? 0 : st,
    );
  }
  const kvLens = nonpad ? asNumbers(nonpad) : undefined;
  if (kvLens && kvLens.length !== batch) return reference(call);
  return attend(binding, outputDims(call), {
    q: q!,
    k: k!,
    v: v!,
    shape,
    qs,
    ks,
    vs,
    ys,
    scale: call.attrs.float('scale', 1 / Math.sqrt(d)),
    softcap: call.attrs.float('softcap', 0),
    causal: call.attrs.int('is_causal', 0) !== 0,
    mask,
    maskStrides,
    maskLen,
    kvLens,
  });
}

export const onnxAttentionOps: KernelOp = {
  types: ['Attention'],
  supports: (node, types) =>
    (types[0] === 'float32' || types[0] === 'float16') &&
    [1, 2].every((i) => types[i] === types[0]) &&
    (types[3] === undefined || types[3] === types[0] || types[3] === 'bool') &&
    // No past key/values, and present key/values and the scores are not wanted.
    !node.inputs[4] &&
    !node.inputs[5] &&
    omitsInputsFrom(node, 7) &&
    usesOnlyOutputs(node, 1),
  run: (call, binding) => onnxAttention(call, binding),
};
