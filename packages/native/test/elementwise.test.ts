import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

describe.each(isas)('elementwise kernels, %s', (isa) => {
  it.each([
    [[7], [7]],
    [[3, 33], [33]],
    [
      [2, 3, 17],
      [2, 1, 17],
    ],
    [
      [5, 1, 9],
      [1, 4, 1],
    ],
    [
      [1, 16, 40, 40],
      [16, 1, 1],
    ],
    [[1000], []],
    [[], [3, 5]],
    // Axes merged into one row (UltraFace's box decoding), in part (the [3, 5] plane of b).
    [[1, 4420, 2], []],
    [
      [1, 4420, 2],
      [1, 4420, 2],
    ],
    [
      [2, 3, 5],
      [1, 3, 5],
    ],
    [
      [3, 1, 5000],
      [3, 1, 5000],
    ],
  ])('binary ops on %j and %j match the reference', async (da, db) => {
    useIsa(isa);
    const a = tensor(da, 1);
    const b = tensor(db, 2, 0.5, 3);
    for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) {
      const { native, reference } = await both(op, [a, b]);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 1e-6, 0), op).toBeLessThanOrEqual(1);
    }
  });

  it.each(['relu', 'sigmoid', 'silu'])(
    'FusedAdd with %s matches Add then the activation',
    async (activation) => {
      useIsa(isa);
      const a = tensor([2, 8, 13], 3);
      const b = tensor([8, 1], 4);
      const { native, reference } = await both(
        'FusedAdd',
        [a, b],
        { activation },
        { domain: 'com.onnxstream' },
      );
      expect(worst(native, reference, 2e-6, 1e-7)).toBeLessThanOrEqual(1);
    },
  );

  it.each([
    ['Relu', {}, 0, 0],
    ['Sigmoid', {}, 2e-6, 1e-7],
    ['Tanh', {}, 4e-6, 1e-7],
    ['Exp', {}, 2e-6, 0],
    ['Neg', {}, 0, 0],
    ['Abs', {}, 0, 0],
    ['Reciprocal', {}, 1e-7, 0],
    // A rational approximation within 3e-7 of erf (csrc test: 2.98e-7 worst against std::erf).
    ['Erf', {}, 0, 3e-7],
    ['HardSwish', {}, 1e-6, 1e-7],
    ['LeakyRelu', { alpha: 0.1 }, 1e-6, 0],
    ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, 1e-6, 1e-7],
  ])('%s matches the reference over tails and the full range', async (op, attrs, rtol, atol) => {
    useIsa(isa);
    for (const n of [1, 15, 16, 17, 100003]) {
      const x = tensor([n], n, -30, 30);
      const { native, reference } = await both(op, [x], attrs as Record<string, number>);
      expect(worst(native, reference, rtol, atol), `${op} n=${n}`).toBeLessThanOrEqual(1);
    }
  });

  it('Gelu (fused from torch exports) matches x/2 (1 + erf(x / sqrt 2))', async () => {
    useIsa(isa);
    const x = tensor([4099], 10, -10, 10);
    const { native, reference } = await both('Gelu', [x], {}, { domain: 'com.onnxstream' });
    // erf within 3e-7 (above), scaled by |x| / 2 <= 5 where 1 + erf cancels.
    expect(worst(native, reference, 2e-6, 1.5e-6)).toBeLessThanOrEqual(1);
  });

  it('Silu matches x * sigmoid(x)', async () => {
    useIsa(isa);
    const x = tensor([4099], 9, -20, 20);
    const { native, reference } = await both('Silu', [x], {}, { domain: 'com.onnxstream' });
    expect(worst(native, reference, 2e-6, 1e-7)).toBeLessThanOrEqual(1);
  });

  it('Sqrt and Clip match the reference', async () => {
    useIsa(isa);
    const x = tensor([1001], 5, 0, 50);
    const s = await both('Sqrt', [x]);
    expect(worst(s.native, s.reference, 1e-7, 0)).toBeLessThanOrEqual(1);
    const lo = tensor([], 6, 2, 3);
    const hi = tensor([], 7, 20, 30);
    const c = await both('Clip', [x, lo, hi]);
    expect(worst(c.native, c.reference, 0, 0)).toBeLessThanOrEqual(1);
  });
});

describe('native memory', () => {
  it('holds outputs in native buffers that dispose() frees at once', async () => {
    const { native } = await both('Relu', [tensor([1 << 18], 1)]);
    expect(native.ownsMemory).toBe(true);
    // Measured around dispose() alone: the garbage collector frees other tests' buffers meanwhile.
    const held = nativeInfo().bytesInUse;
    native.dispose();
    expect(held - nativeInfo().bytesInUse).toBe(1 << 20);
    expect(native.disposed).toBe(true);
  });
});
