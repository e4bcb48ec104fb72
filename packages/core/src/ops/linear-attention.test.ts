/**
 * LinearAttention beyond the conformance cases: hand-computed scalar recurrences per update rule,
 * prefill split into chunks through past_state (with grouped query heads), and the errors.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { LinearAttention } from './linear-attention.js';
import { type AttrInput, callInfer, callTensorKernel } from './support/kernel-call.js';

const f32 = (values: number[], dims: number[]) => new Tensor('float32', values, dims);
const nums = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
function closeTo(got: Tensor, want: number[], digits = 5): void {
  for (const [i, v] of nums(got).entries()) expect(v).toBeCloseTo(want[i], digits);
}

/** Deterministic values in [-1, 1). */
const wave = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7));

const heads = { q_num_heads: 1, kv_num_heads: 1 };
// B = 1, T = 2, one head of d_k = d_v = 1.
const q = f32([1, 2], [1, 2, 1]);
const k = f32([0.5, 1], [1, 2, 1]);
const v = f32([2, 3], [1, 2, 1]);
const decay = f32([Math.log(0.5), Math.log(0.8)], [1, 2, 1]);
const beta = f32([0.5, 1], [1, 2, 1]);

describe('LinearAttention', () => {
  it('gated_delta (the default): decay, then S += k beta (v - S k); o = q S / sqrt(d_k)', async () => {
    // t0: S = 0.5 * (0.5 * (2 - 0)) = 0.5, o = 0.5; t1: S = 0.4 + 1 * (3 - 0.4) = 3, o = 6.
    const [out, state] = await callTensorKernel(LinearAttention, [q, k, v, undefined, decay, beta], heads, {
      outputCount: 2,
    });
    closeTo(out, [0.5, 6]);
    closeTo(state, [3]);
  });

  it('linear, gated and delta rules; an explicit scale; a past state', async () => {
    const run = (rule: string, extra: (Tensor | undefined)[], attrs: Record<string, AttrInput> = {}) =>
      callTensorKernel(
        LinearAttention,
        [q, k, v, ...extra],
        { ...heads, update_rule: rule, ...attrs },
        { outputCount: 2 },
      );
    // linear: S = 1, then 4.
    let [out, state] = await run('linear', []);
    closeTo(out, [1, 8]);
    closeTo(state, [4]);
    // gated: S = 0.5 * 0 + 1 = 1, then 0.8 + 3 = 3.8; scale 0.5.
    [out, state] = await run('gated', [undefined, decay], { scale: 0.5 });
    closeTo(out, [0.5, 3.8]);
    closeTo(state, [3.8]);
    // delta from S0 = 2: S = 2 + 0.5 * 0.5 * (2 - 1) = 2.25, then 2.25 + (3 - 2.25) = 3.
    [out, state] = await run('delta', [f32([2], [1, 1, 1, 1]), undefined, beta]);
    closeTo(out, [2.25, 6]);
    closeTo(state, [3]);
  });

  it('a prefill split in two through past_state equals the whole prefill (grouped query heads)', async () => {
    // B = 2, T = 4, Hq = 4, Hkv = 2, d_k = 3, d_v = 2; per-head decay, per-head beta.
    const [b, t, hq, hkv, dk, dv] = [2, 4, 4, 2, 3, 2];
    const full = {
      q: wave(b * t * hq * dk, 1),
      k: wave(b * t * hkv * dk, 2),
      v: wave(b * t * hkv * dv, 3),
      g: wave(b * t * hkv, 4).map((x) => -Math.abs(x)),
      beta: wave(b * t * hkv, 5).map((x) => 0.5 + x / 4),
    };
    /** Steps [t0, t1) of a (B, T, width) array. */
    const steps = (a: number[], width: number, t0: number, t1: number) =>
      f32(Array.from({ length: b }, (_, i) => a.slice((i * t + t0) * width, (i * t + t1) * width)).flat(), [
        b,
        t1 - t0,
        width,
      ]);
    const inputs = (t0: number, t1: number, past?: Tensor) => [
      steps(full.q, hq * dk, t0, t1),
      steps(full.k, hkv * dk, t0, t1),
      steps(full.v, hkv * dv, t0, t1),
      past,
      steps(full.g, hkv, t0, t1),
      steps(full.beta, hkv, t0, t1),
    ];
    const attrs = { q_num_heads: hq, kv_num_heads: hkv };
    const [whole, wholeState] = await callTensorKernel(LinearAttention, inputs(0, t), attrs, {
      outputCount: 2,
    });
    const [first, mid] = await callTensorKernel(LinearAttention, inputs(0, 2), attrs, { outputCount: 2 });
    const [second, last] = await callTensorKernel(LinearAttention, inputs(2, t, mid), attrs, {
      outputCount: 2,
    });
    expect(whole.dims).toEqual([b, t, hq * dv]);
    const w = nums(whole);
    const width = hq * dv;
    const joined = Array.from({ length: b }, (_, i) => [
      ...nums(first).slice(i * 2 * width, (i + 1) * 2 * width),
      ...nums(second).slice(i * 2 * width, (i + 1) * 2 * width),
    ]).flat();
    for (const [i, x] of joined.entries()) expect(x).toBeCloseTo(w[i], 5);
    closeTo(last, nums(wholeState));
  });

  it('infers the output and state shapes', () => {
    const meta = (dims: number[]) => ({ type: 'float16' as const, dims });
    expect(
      callInfer(LinearAttention, [meta([2, 5, 64]), meta([2, 5, 32]), meta([2, 5, 48])], {
        q_num_heads: 8,
        kv_num_heads: 4,
      }),
    ).toEqual([
      { type: 'float16', dims: [2, 5, 96] },
      { type: 'float16', dims: [2, 4, 8, 12] },
    ]);
  });

  it('rejects missing gates, bad head counts and mismatched shapes', async () => {
    await expect(callTensorKernel(LinearAttention, [q, k, v], heads)).rejects.toThrow(
      /update_rule 'gated_delta' needs the decay input/,
    );
    await expect(
      callTensorKernel(LinearAttention, [q, k, v], {
        q_num_heads: 3,
        kv_num_heads: 2,
        update_rule: 'linear',
      }),
    ).rejects.toThrow(/q_num_heads 3 is not a multiple of kv_num_heads 2/);
    await expect(
      callTensorKernel(LinearAttention, [q, f32([1, 2, 3, 4], [1, 2, 2]), v], {
        ...heads,
        update_rule: 'linear',
      }),
    ).rejects.toThrow(/key has shape \[1,2,2\], expected \[1,2,1\]/);
    await expect(
      callTensorKernel(LinearAttention, [q, k, v], { ...heads, update_rule: 'mamba' }),
    ).rejects.toThrow(/update_rule must be one of/);
  });
});
