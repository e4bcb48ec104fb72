import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { OptionalValue, TensorSequence } from '../tensor/value.js';
import { OptionalGetElement } from './optional-get-element.js';
import { callInfer, callKernel } from './support/kernel-call.js';

describe('OptionalGetElement', () => {
  const x = new Tensor('int32', [1, 2, 3], [3]);
  const seq = new TensorSequence('int32', [x]);

  it('unwraps an optional; tensors and sequences pass through', async () => {
    expect(await callKernel(OptionalGetElement, [OptionalValue.of(x)])).toEqual([x]);
    expect(await callKernel(OptionalGetElement, [OptionalValue.of(seq)])).toEqual([seq]);
    expect(await callKernel(OptionalGetElement, [x])).toEqual([x]);
  });

  it('rejects an empty optional and an omitted input', async () => {
    await expect(callKernel(OptionalGetElement, [OptionalValue.empty('tensor', 'int32')])).rejects.toThrow(
      /the optional input is empty/,
    );
    await expect(callKernel(OptionalGetElement, [undefined])).rejects.toThrow(/input 0 is required/);
  });

  it('infers what the optional holds', () => {
    expect(
      callInfer(OptionalGetElement, [{ kind: 'optional', optionalOf: 'sequence', type: 'int32' }]),
    ).toEqual([{ kind: 'sequence', type: 'int32' }]);
    expect(
      callInfer(OptionalGetElement, [{ kind: 'optional', optionalOf: 'tensor', type: 'float32', dims: [4] }]),
    ).toEqual([{ type: 'float32', dims: [4] }]);
    expect(callInfer(OptionalGetElement, [{ type: 'float32', dims: [4] }])).toEqual([
      { kind: undefined, type: 'float32', dims: [4], value: undefined },
    ]);
  });
});
