/**
 * OnnxStream's internal attention operators against the unfused graphs they replace
 * (onnxstream-reference.md §3.5), composed from the reference kernels of MatMul, Mul, Div, Add,
 * Softmax and Transpose, on random data.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFiles } from '../files/model-files.js';
import { InferenceSession } from '../session/inference-session.js';
import { Tensor } from '../tensor/tensor.js';
import { Add } from './add.js';
import { AttentionFusedOps } from './attention-fused-ops.js';
import { Div } from './div.js';
import { MatMul } from './mat-mul.js';
import { Mul } from './mul.js';
import type { OpDef } from './op.js';
import { ScaledDotProductAttention } from './scaled-dot-product-attention.js';
import { Softmax } from './softmax.js';
import { type AttrInput, callTensorKernel } from './support/kernel-call.js';
import { Transpose } from './transpose.js';

const call = async (op: OpDef, inputs: (Tensor | undefined)[], attrs: Record<string, AttrInput> = {}) =>
  (await callTensorKernel(op, inputs, attrs))[0];

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function random(dims: number[], seed: number): Tensor {
  let s = seed >>> 0;
  const n = dims.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return new Tensor('float32', v, dims);
}

const scalar = (v: number) => new Tensor('float32', [v], []);
const softmax = (x: Tensor) => call(Softmax, [x], { axis: -1 });

function expectClose(got: Tensor, want: Tensor): void {
  expect(got.dims).toEqual(want.dims);
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]) / (1e-6 + Math.abs(w[i])));
  expect(worst).toBeLessThan(1e-4);
}

/** MatMul -> [Mul(scale)] -> Softmax(-1) -> MatMul, the pattern AttentionFusedOps replaces. */
async function unfusedAttention(q: Tensor, kt: Tensor, v: Tensor, scale?: number): Promise<Tensor> {
  let s = await call(MatMul, [q, kt]);
  if (scale !== undefined) s = await call(Mul, [s, scalar(scale)]);
  return call(MatMul, [await softmax(s), v]);
}

/**
 * Transpose(K) -> MatMul(Q, K^T) -> Div(s) -> Add(mask) -> Softmax -> MatMul(V), with the
 * query heads of each key/value head stacked so one MatMul serves the whole group (GQA).
 */
async function unfusedSdpa(q: Tensor, k: Tensor, v: Tensor, s: number, mask: Tensor): Promise<Tensor> {
  const [b, h, tq, c] = q.dims;
  const hkv = k.dims[1];
  const g = h / hkv;
  const tkv = k.dims[2];
  const kt = await call(Transpose, [k], { perm: [0, 1, 3, 2] });
  const scores = await call(Div, [await call(MatMul, [q.reshape([b, hkv, g * tq, c]), kt]), scalar(s)]);
  const masked = await call(Add, [scores.reshape([b, hkv, g, tq, tkv]), mask.reshape([tq, tkv])]);
  const y = await call(MatMul, [(await softmax(masked)).reshape([b, hkv, g * tq, tkv]), v]);
  return y.reshape([b, h, tq, v.dims[3]]);
}

describe('AttentionFusedOps', () => {
  it('equals MatMul -> Mul -> Softmax -> MatMul per head', async () => {
    const q = random([3, 5, 8], 1);
    const kt = random([3, 8, 7], 2);
    const v = random([3, 7, 6], 3);
    expectClose(
      await call(AttentionFusedOps, [q, kt, scalar(0.35), v]),
      await unfusedAttention(q, kt, v, 0.35),
    );
  });

  it('without a scale equals MatMul -> Softmax -> MatMul; 4-D operands with a leading 1 keep their rank', async () => {
    const q = random([1, 2, 4, 3], 4);
    const kt = random([1, 2, 3, 6], 5);
    const v = random([1, 2, 6, 5], 6);
    const y = await call(AttentionFusedOps, [q, kt, undefined, v]);
    expect(y.dims).toEqual([1, 2, 4, 5]);
    expectClose(y, await unfusedAttention(q, kt, v));
  });

  it('computes in row blocks when rows x kv exceeds the block budget, with the same result', async () => {
    // 2^18 scores per block over 70000 keys is 3 rows per block: 7 rows take 3 blocks.
    const q = random([1, 7, 2], 7);
    const kt = random([1, 2, 70000], 8);
    const v = random([1, 70000, 2], 9);
    expectClose(await call(AttentionFusedOps, [q, kt, scalar(2), v]), await unfusedAttention(q, kt, v, 2));
  });

  it('rejects mismatched operands and non-scalar scales', async () => {
    const q = random([2, 4, 3], 1);
    const v = random([2, 5, 3], 2);
    await expect(call(AttentionFusedOps, [q, random([2, 4, 5], 3), undefined, v])).rejects.toThrow(
      /do not match/,
    );
    await expect(call(AttentionFusedOps, [q, random([2, 3, 5], 3), random([1], 4), v])).rejects.toThrow(
      /scale must be rank 0/,
    );
  });

  it('runs from a model.txt line with the scale omitted (`;;`)', async () => {
    const text = 'att:AttentionFusedOps*input:q(2,3,4);kt(2,4,5);;v(2,5,4)*output:y(2,3,4)\n';
    const files = new MemoryFiles([['model.txt', new TextEncoder().encode(text)]]);
    const session = await InferenceSession.create({ files, entry: 'model.txt' }, { format: 'onnxstream' });
    const q = random([2, 3, 4], 11);
    const kt = random([2, 4, 5], 12);
    const v = random([2, 5, 4], 13);
    const { y } = await session.run({ q, kt, v });
    expectClose(y, await unfusedAttention(q, kt, v));
  });
});

describe('ScaledDotProductAttention', () => {
  it('[Q, K, s, mask, V] equals Transpose -> MatMul -> Div -> Add -> Softmax -> MatMul', async () => {
    const q = random([2, 3, 4, 8], 21);
    const k = random([2, 3, 6, 8], 22);
    const v = random([2, 3, 6, 5], 23);
    const mask = random([4, 6], 24);
    const s = new Tensor('float32', [Math.sqrt(8)], [1]);
    expectClose(
      await call(ScaledDotProductAttention, [q, k, s, mask, v]),
      await unfusedSdpa(q, k, v, Math.sqrt(8), mask),
    );
  });

  it('grouped-query attention (H = 3 x Hkv) and a (1, 1, Tq, Tkv) mask', async () => {
    const q = random([1, 6, 5, 4], 31);
    const k = random([1, 2, 7, 4], 32);
    const v = random([1, 2, 7, 3], 33);
    const mask = random([1, 1, 5, 7], 34);
    expectClose(
      await call(ScaledDotProductAttention, [q, k, scalar(2), mask, v]),
      await unfusedSdpa(q, k, v, 2, mask),
    );
  });

  it('[Q, K, s0, mask, V, s1] scales by s0 * s1 (Mul(Q, s0) and Mul(K^T, s1) before the MatMul)', async () => {
    const q = random([1, 2, 3, 4], 41);
    const k = random([1, 2, 5, 4], 42);
    const v = random([1, 2, 5, 4], 43);
    const mask = random([3, 5], 44);
    const y = await call(ScaledDotProductAttention, [q, k, scalar(0.5), mask, v, scalar(0.25)]);
    expectClose(y, await unfusedSdpa(q, k, v, 1 / (0.5 * 0.25), mask));
  });

  it('the mask rows follow the row blocks (7 query rows over 70000 keys take 3 blocks)', async () => {
    const q = random([1, 1, 7, 2], 51);
    const k = random([1, 1, 70000, 2], 52);
    const v = random([1, 1, 70000, 2], 53);
    const mask = random([7, 70000], 54);
    expectClose(
      await call(ScaledDotProductAttention, [q, k, scalar(0.5), mask, v]),
      await unfusedSdpa(q, k, v, 0.5, mask),
    );
  });

  it('rejects masks of other shapes and scales of more than one element', async () => {
    const q = random([1, 2, 3, 4], 1);
    const k = random([1, 2, 5, 4], 2);
    const v = random([1, 2, 5, 4], 3);
    await expect(
      call(ScaledDotProductAttention, [q, k, scalar(1), random([1, 2, 3, 5], 4), v]),
    ).rejects.toThrow(/mask must be \(3, 5\) or \(1, 1, 3, 5\)/);
    await expect(
      call(ScaledDotProductAttention, [q, k, random([2], 5), random([3, 5], 4), v]),
    ).rejects.toThrow(/s must have shape \(\) or \(1\)/);
  });
});
