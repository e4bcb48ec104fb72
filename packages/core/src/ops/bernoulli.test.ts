import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { Bernoulli } from './bernoulli.js';
import { callTensorKernel } from './support/kernel-call.js';

describe('Bernoulli', () => {
  it('seeded, draws as ONNX’s reference implementation: numpy RandomState(0).binomial(1, p)', async () => {
    // The input of the conformance case test_bernoulli_seed, whose expected output came from numpy's
    // unseeded global state instead (0 1 1 0 0 1 0 1 1 1) and cannot be reproduced.
    const p = new Tensor(
      'float32',
      [
        0.54881352186203, 0.7151893377304077, 0.6027633547782898, 0.5448831915855408, 0.42365479469299316,
        0.6458941102027893, 0.4375872015953064, 0.891772985458374, 0.9636627435684204, 0.3834415078163147,
      ],
      [10],
    );
    const [y] = await callTensorKernel(Bernoulli, [p], { seed: 0 });
    expect(Array.from(y.data as Float32Array)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('outputs the dtype attribute’s type and rejects probabilities outside [0, 1]', async () => {
    const [y] = await callTensorKernel(Bernoulli, [new Tensor('float32', [0, 1], [2])], {
      dtype: 7,
      seed: 3,
    });
    expect(y.type).toBe('int64');
    expect(Array.from(y.data as BigInt64Array)).toEqual([0n, 1n]);
    await expect(callTensorKernel(Bernoulli, [new Tensor('float32', [0.5, 1.5], [2])])).rejects.toThrow(
      /probability 1.5 at index 1 is not in \[0, 1\]/,
    );
  });
});
