/**
 * The training optimizers after the first update (the conformance cases all have T = 0): Adam's
 * bias correction and post-update decay, Adagrad's learning-rate decay, Momentum's beta and the
 * Nesterov form; the input grouping and its errors. Expected values are ONNX's reference formulas
 * evaluated in float64 with numpy.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/tensor.js';
import { Adagrad } from '../adagrad.js';
import { Adam } from '../adam.js';
import { Momentum } from '../momentum.js';
import { callInfer, callTensorKernel } from './kernel-call.js';

const f64 = (values: number[]) => new Tensor('float64', values, [values.length]);
const r = new Tensor('float32', [0.1], []);
const t = (n: number) => new Tensor('int64', [BigInt(n)], []);
const nums = (ts: Tensor[]) => ts.map((x) => Array.from(x.data as ArrayLike<number>));

function expectClose(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  for (const [i, row] of got.entries())
    for (const [j, v] of row.entries()) expect(v).toBeCloseTo(want[i][j], 7);
}

describe('training optimizers', () => {
  it('Adam at T = 2: bias-corrected rate, norm_coefficient and norm_coefficient_post', async () => {
    const outs = await callTensorKernel(
      Adam,
      [r, t(2), f64([1, -2]), f64([-1, 0.5]), f64([2, 0]), f64([0.5, 1])],
      { norm_coefficient: 0.01, norm_coefficient_post: 0.1 },
      { outputCount: 3 },
    );
    expectClose(nums(outs), [
      [0.84907798, -1.80101696],
      [1.701, 0.048],
      [0.5004801, 0.9992304],
    ]);
  });

  it('Adagrad at T = 3 divides the rate by 1 + T * decay_factor', async () => {
    const outs = await callTensorKernel(
      Adagrad,
      [r, t(3), f64([1, 2]), f64([-1, 0.5]), f64([2, 0])],
      { decay_factor: 0.5 },
      { outputCount: 2 },
    );
    expectClose(nums(outs), [
      [1.023094, 1.96000008],
      [3, 0.25],
    ]);
  });

  it('Momentum after the first update scales the gradient by beta; nesterov looks ahead', async () => {
    const inputs = [r, t(1), f64([1, 2]), f64([-1, 0.5]), f64([2, 0])];
    const attrs = { alpha: 0.9, beta: 0.5, norm_coefficient: 0, mode: 'standard' };
    const standard = await callTensorKernel(Momentum, inputs, attrs, { outputCount: 2 });
    expectClose(nums(standard), [
      [0.87, 1.975],
      [1.3, 0.25],
    ]);
    const nesterov = await callTensorKernel(
      Momentum,
      inputs,
      { ...attrs, mode: 'nesterov' },
      { outputCount: 2 },
    );
    expectClose(nums(nesterov), [
      [0.983, 1.9275],
      [1.3, 0.25],
    ]);
  });

  it('updates several tensors per node: outputs are grouped X_new..., then each state', async () => {
    const x1 = f64([1]);
    const x2 = f64([1, 2]);
    const metas = callInfer(Adagrad, [r, t(0), x1, x2, x1, x2, x1, x2], {}, { outputCount: 4 });
    expect(metas.map((m) => m.dims)).toEqual([[1], [2], [1], [2]]);
    const outs = await callTensorKernel(
      Adagrad,
      [r, t(0), x1, x2, f64([0]), f64([0, 0]), x1, x2],
      {},
      {
        outputCount: 4,
      },
    );
    // A zero gradient leaves X and H as they were.
    expect(nums(outs)).toEqual([[1], [1, 2], [1], [1, 2]]);
  });

  it('rejects uneven input lists, mismatched tensors and an unknown mode', async () => {
    await expect(callTensorKernel(Adam, [r, t(0), f64([1]), f64([1]), f64([1])])).rejects.toThrow(
      /Adam takes R, T and 4 lists of equal length, got 5 inputs/,
    );
    await expect(callTensorKernel(Adagrad, [r, t(0), f64([1]), f64([1, 2]), f64([1])])).rejects.toThrow(
      /tensor 0: float64\[2\] does not match X's float64\[1\]/,
    );
    const attrs = { alpha: 0.9, beta: 0.5, norm_coefficient: 0, mode: 'heavy-ball' };
    await expect(callTensorKernel(Momentum, [r, t(0), f64([1]), f64([1]), f64([1])], attrs)).rejects.toThrow(
      /mode must be standard or nesterov/,
    );
  });
});
