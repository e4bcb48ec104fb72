/**
 * CausalConvWithState beyond the conformance cases: a hand-computed row, streaming in chunks
 * through the carried state, a kernel of size 1 (empty state) and the shape errors.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { CausalConvWithState } from './causal-conv-with-state.js';
import { callTensorKernel } from './support/kernel-call.js';

const f32 = (values: number[], dims: number[]) => new Tensor('float32', values, dims);
const nums = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
const run = (inputs: (Tensor | undefined)[], activation = 'none') =>
  callTensorKernel(CausalConvWithState, inputs, { activation }, { outputCount: 2 });

describe('CausalConvWithState', () => {
  const x = f32([1, 2, 3], [1, 1, 3]);
  const w = f32([1, 10, 100], [1, 1, 3]);
  const bias = f32([0.5], [1]);
  const past = f32([5, 6], [1, 1, 2]);

  it('convolves the past state and the input (padded row 5 6 1 2 3), adds the bias, carries the last k-1', async () => {
    const [y, state] = await run([x, w, bias, past]);
    expect(nums(y)).toEqual([165.5, 216.5, 321.5]);
    expect(state.dims).toEqual([1, 1, 2]);
    expect(nums(state)).toEqual([2, 3]);
  });

  it('silu applies x * sigmoid(x) to the convolution', async () => {
    const [y] = await run([x, w, undefined, past], 'silu');
    const silu = (s: number) => s / (1 + Math.exp(-s));
    for (const [i, v] of nums(y).entries()) expect(v).toBeCloseTo(silu([165, 216, 321][i]), 3);
    const [zero] = await run([f32([-1], [1, 1, 1]), f32([1], [1, 1, 1])], 'swish');
    expect(nums(zero)[0]).toBeCloseTo(-1 / (1 + Math.E), 6);
  });

  it('streams: two chunks through present_state equal one call (2 batches, 3 channels)', async () => {
    const [b, c, len, k] = [2, 3, 7, 4];
    const xs = Array.from({ length: b * c * len }, (_, i) => Math.sin(i * 1.3));
    const ws = f32(
      Array.from({ length: c * k }, (_, i) => Math.cos(i)),
      [c, 1, k],
    );
    const chunk = (t0: number, t1: number) =>
      f32(Array.from({ length: b * c }, (_, row) => xs.slice(row * len + t0, row * len + t1)).flat(), [
        b,
        c,
        t1 - t0,
      ]);
    const [whole, wholeState] = await run([chunk(0, len), ws]);
    const [first, carry] = await run([chunk(0, 3), ws]);
    const [second, last] = await run([chunk(3, len), ws, undefined, carry]);
    const joined = Array.from({ length: b * c }, (_, row) => [
      ...nums(first).slice(row * 3, (row + 1) * 3),
      ...nums(second).slice(row * 4, (row + 1) * 4),
    ]).flat();
    const want = nums(whole);
    for (const [i, v] of joined.entries()) expect(v).toBeCloseTo(want[i], 5);
    expect(nums(last)).toEqual(nums(wholeState));
  });

  it('a kernel of size 1 has an empty state', async () => {
    const [y, state] = await run([x, f32([2], [1, 1, 1])]);
    expect(nums(y)).toEqual([2, 4, 6]);
    expect(state.dims).toEqual([1, 1, 0]);
  });

  it('rejects mismatched weight, bias and past_state', async () => {
    await expect(run([x, f32([1, 2], [2, 1, 1])])).rejects.toThrow(
      /weight has shape \[2,1,1\], expected \[1,1,k\]/,
    );
    await expect(run([x, w, f32([1, 2], [2])])).rejects.toThrow(/bias has shape \[2\], expected \[1\]/);
    await expect(run([x, w, undefined, f32([1], [1, 1, 1])])).rejects.toThrow(
      /past_state has shape \[1,1,1\], expected \[1,1,2\]/,
    );
    await expect(run([x, w], 'gelu')).rejects.toThrow(/activation must be none, silu or swish/);
  });
});
