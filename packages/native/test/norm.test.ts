import { Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

describe.each(isas)('normalisation kernels, %s', (isa) => {
  it.each([
    [[5, 7], -1],
    [[2, 3, 33], -1],
    [[2, 3, 17], 1],
    [[3, 1000], 1],
    [[1, 77, 768], -1],
  ])('LayerNormalization and RMSNormalization of %j from axis %i match the reference', async (dims, axis) => {
    useIsa(isa);
    // An offset mean makes the two-pass variance matter.
    const x = tensor(dims, 11, 3, 9);
    const block = dims.slice(axis < 0 ? axis + dims.length : axis);
    const scale = tensor(block, 12, 0.5, 2);
    const bias = tensor(block, 13);
    const ln = await both('LayerNormalization', [x, scale, bias], { axis, epsilon: 1e-5 });
    expect(ln.native.ownsMemory).toBe(true);
    expect(worst(ln.native, ln.reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    const noBias = await both('LayerNormalization', [x, scale], { axis });
    expect(worst(noBias.native, noBias.reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    const rms = await both('RMSNormalization', [x, scale], { axis, epsilon: 1e-6 });
    expect(rms.native.ownsMemory).toBe(true);
    expect(worst(rms.native, rms.reference, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
  });

  it('LayerNormalization gives Mean and InvStdDev', async () => {
    useIsa(isa);
    const { callTensorKernel, findOp } = await import('@onnxstream/core');
    const { nativeBackend } = await import('../src/index.js');
    const op = findOp('', 'LayerNormalization')!;
    const inputs = [tensor([4, 6, 19], 1, -3, 5), tensor([19], 2), tensor([19], 3)];
    const opts = { outputCount: 3 };
    const n = await callTensorKernel(op, inputs, {}, { ...opts, backend: nativeBackend });
    const r = await callTensorKernel(op, inputs, {}, opts);
    for (let i = 0; i < 3; i++) {
      expect(n[i].dims).toEqual(r[i].dims);
      expect(worst(n[i], r[i], 1e-5, 1e-6), `output ${i}`).toBeLessThanOrEqual(1);
    }
  });

  it.each([[[2, 5, 7]], [[1, 3, 33, 17]], [[2, 4, 1]], [[1, 32, 40960]], [[3, 16, 5, 5]]])(
    'InstanceNormalization of %j matches the reference',
    async (dims) => {
      useIsa(isa);
      const x = tensor(dims, 21, -2, 6);
      const c = dims[1];
      const { native, reference } = await both(
        'InstanceNormalization',
        [x, tensor([c], 22), tensor([c], 23)],
        {
          epsilon: 1e-5,
        },
      );
      expect(native.ownsMemory).toBe(true);
      expect(worst(native, reference, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
    },
  );

  it('runs SD exports GroupNorm (Reshape -> InstanceNormalization on (1, groups, L) -> Reshape)', async () => {
    useIsa(isa);
    const x = tensor([1, 64, 24, 24], 31, -1, 3);
    const grouped = x.reshape([1, 32, 2 * 24 * 24]);
    const ones = new Tensor('float32', new Float32Array(32).fill(1), [32]);
    const zeros = new Tensor('float32', new Float32Array(32), [32]);
    const inst = await both('InstanceNormalization', [grouped, ones, zeros]);
    const group = await both(
      'GroupNormalization',
      [x, ones.reshape([32]), zeros],
      { num_groups: 32 },
      { opset: 18 },
    );
    expect(worst(inst.native, inst.reference, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
    expect(worst(group.native, group.reference, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
    expect(worst(inst.native.reshape(x.dims), group.native, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
  });

  it.each([
    [[2, 6, 5, 7], 3],
    [[1, 64, 9, 9], 32],
    [[2, 8, 17], 8],
    [[1, 12, 3, 3], 1],
  ])('GroupNormalization of %j in %i groups matches the reference', async (dims, groups) => {
    useIsa(isa);
    const x = tensor(dims, 41, -3, 5);
    const c = dims[1];
    const perChannel = await both('GroupNormalization', [x, tensor([c], 42), tensor([c], 43)], {
      num_groups: groups,
    });
    expect(perChannel.native.ownsMemory).toBe(true);
    expect(worst(perChannel.native, perChannel.reference, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
    // Opset 18: one scale and bias per group.
    const perGroup = await both(
      'GroupNormalization',
      [x, tensor([groups], 44), tensor([groups], 45)],
      { num_groups: groups },
      { opset: 18 },
    );
    expect(worst(perGroup.native, perGroup.reference, 1e-4, 2e-5)).toBeLessThanOrEqual(1);
  });

  it.each([[[2, 3, 5, 7]], [[1, 16, 33]], [[4, 5]]])(
    'BatchNormalization (inference) of %j matches the reference',
    async (dims) => {
      useIsa(isa);
      const c = dims[1];
      const x = tensor(dims, 51);
      const inputs = [x, tensor([c], 52), tensor([c], 53), tensor([c], 54), tensor([c], 55, 0.1, 3)];
      const { native, reference } = await both('BatchNormalization', inputs, { epsilon: 1e-3 });
      expect(native.ownsMemory).toBe(true);
      expect(worst(native, reference, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    },
  );

  it('falls back to the reference for broadcast LayerNormalization scales', async () => {
    useIsa(isa);
    const x = tensor([2, 3, 8], 61);
    const { native, reference } = await both(
      'LayerNormalization',
      [x, tensor([1, 8], 62).reshape([8]).reshape([1, 8]), tensor([1], 63)],
      {
        axis: 1,
      },
    );
    expect(worst(native, reference, 1e-6, 1e-7)).toBeLessThanOrEqual(1);
  });
});
