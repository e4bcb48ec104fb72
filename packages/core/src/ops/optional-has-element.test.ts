import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { OptionalValue, TensorSequence } from '../tensor/value.js';
import { OptionalHasElement } from './optional-has-element.js';
import { callInfer, callTensorKernel } from './support/kernel-call.js';

const has = async (v: Tensor | TensorSequence | OptionalValue | undefined) => {
  const [t] = await callTensorKernel(OptionalHasElement, v === undefined ? [] : [v]);
  expect([t.type, t.dims]).toEqual(['bool', []]);
  return t.data[0];
};

describe('OptionalHasElement', () => {
  it('is false for an omitted input or an empty optional, true for a value', async () => {
    const x = new Tensor('float32', [1, 2], [2]);
    expect(await has(undefined)).toBe(0);
    expect(await has(OptionalValue.empty('tensor', 'float32'))).toBe(0);
    expect(await has(OptionalValue.of(x))).toBe(1);
    expect(await has(x)).toBe(1);
    expect(await has(new TensorSequence('float32', []))).toBe(1);
  });

  it('infers a bool scalar', () => {
    expect(callInfer(OptionalHasElement, [])).toEqual([{ type: 'bool', dims: [] }]);
  });
});
