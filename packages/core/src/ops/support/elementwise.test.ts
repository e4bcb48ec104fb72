import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import { Add } from '../add.js';
import { BitShift } from '../bit-shift.js';
import { BitwiseNot } from '../bitwise-not.js';
import { Clip } from '../clip.js';
import { Equal } from '../equal.js';
import { Gelu } from '../gelu.js';
import { Greater } from '../greater.js';
import { LeakyRelu } from '../leaky-relu.js';
import { Max } from '../max.js';
import { Mean } from '../mean.js';
import { Mod } from '../mod.js';
import type { OpDef } from '../op.js';
import { Pow } from '../pow.js';
import { PRelu } from '../prelu.js';
import { Round } from '../round.js';
import { Sigmoid } from '../sigmoid.js';
import { Softplus } from '../softplus.js';
import { Sqrt } from '../sqrt.js';
import { Where } from '../where.js';
import { erf } from './elementwise.js';
import { type AttrInput, callInfer, callTensorKernel } from './kernel-call.js';

const run = async (
  op: OpDef,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, AttrInput> = {},
  opset?: number,
): Promise<Tensor> => (await callTensorKernel(op, inputs, attrs, { opset }))[0];

const f32 = (values: number[], dims = [values.length]) => new Tensor('float32', values, dims);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>);
const text = (value: string): AttrValue => ({ type: 'text', value });

describe('unary math', () => {
  it('Round rounds half to even', async () => {
    expect(
      values(await run(Round, [f32([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, Number.POSITIVE_INFINITY])])),
    ).toEqual([0, 2, 2, -0, -2, 2, -3, Number.POSITIVE_INFINITY]);
  });

  it('erf matches reference values', () => {
    // erf(0.5), erf(1), erf(3) to 16 digits (Abramowitz & Stegun table 7.1 / mpmath).
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 15);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 15);
    expect(erf(1e-5) / 1e-5).toBeCloseTo(2 / Math.sqrt(Math.PI), 9);
  });

  it('Softplus and Sigmoid do not overflow for large |x|', async () => {
    expect(values(await run(Softplus, [f32([1000, -1000, 0])]))).toEqual([1000, 0, Math.fround(Math.LN2)]);
    expect(values(await run(Sigmoid, [f32([1000, -1000])]))).toEqual([1, 0]);
  });

  it('float-only operators reject integer inputs', async () => {
    await expect(run(Sqrt, [new Tensor('int32', [4], [1])])).rejects.toThrow(/type int32 is not supported/);
  });

  it('BitwiseNot keeps the width of unsigned types', async () => {
    expect(values(await run(BitwiseNot, [new Tensor('uint8', [5, 0], [2])]))).toEqual([250, 255]);
    expect(values(await run(BitwiseNot, [new Tensor('uint64', [0n], [1])]))).toEqual([2n ** 64n - 1n]);
  });
});

describe('activations with attributes', () => {
  it('read model.txt text attributes', async () => {
    expect(values(await run(LeakyRelu, [f32([-10, 3])], { alpha: text('0.25') }))).toEqual([-2.5, 3]);
  });

  it('Gelu: exact and tanh forms, and a bad approximate', async () => {
    const exact = values(await run(Gelu, [f32([1, -1])])) as number[];
    expect(exact[0]).toBeCloseTo(0.8413447460685429, 6);
    expect(exact[1]).toBeCloseTo(-0.15865525393145707, 6);
    const tanh = values(await run(Gelu, [f32([1])], { approximate: 'tanh' })) as number[];
    expect(tanh[0]).toBeCloseTo(0.8411919906082768, 6);
    await expect(run(Gelu, [f32([1])], { approximate: 'fast' })).rejects.toThrow(/approximate/);
  });
});

describe('binary arithmetic', () => {
  it('Mod: sign of the divisor by default, of the dividend with fmod=1; x mod 0 is 0', async () => {
    const a = new Tensor('int32', [-4, 7, 5], [3]);
    const b = new Tensor('int32', [3, -3, 0], [3]);
    expect(values(await run(Mod, [a, b]))).toEqual([2, -2, 0]);
    expect(values(await run(Mod, [a, b], { fmod: 1 }))).toEqual([-1, 1, 0]);
    const big = new Tensor('int64', [-4n, 7n, 5n], [3]);
    const bigDiv = new Tensor('int64', [3n, -3n, 0n], [3]);
    expect(values(await run(Mod, [big, bigDiv]))).toEqual([2n, -2n, 0n]);
    await expect(run(Mod, [f32([1]), f32([2])])).rejects.toThrow(/needs fmod=1/);
  });

  it('BitShift drops bits shifted past the width, and needs a valid direction', async () => {
    const left = { direction: 'LEFT' };
    const right = { direction: 'RIGHT' };
    expect(
      values(
        await run(BitShift, [new Tensor('uint8', [255, 1], [2]), new Tensor('uint8', [1, 8], [2])], left),
      ),
    ).toEqual([254, 0]);
    expect(
      values(
        await run(
          BitShift,
          [new Tensor('uint32', [1, 2 ** 31], [2]), new Tensor('uint32', [31, 32], [2])],
          left,
        ),
      ),
    ).toEqual([2 ** 31, 0]);
    const x64 = new Tensor('uint64', [1n, 2n ** 63n], [2]);
    expect(values(await run(BitShift, [x64, new Tensor('uint64', [63n, 64n], [2])], left))).toEqual([
      2n ** 63n,
      0n,
    ]);
    expect(values(await run(BitShift, [x64, new Tensor('uint64', [1n, 63n], [2])], right))).toEqual([0n, 1n]);
    await expect(run(BitShift, [x64, x64])).rejects.toThrow(/missing required attribute 'direction'/);
    await expect(run(BitShift, [x64, x64], { direction: 'UP' })).rejects.toThrow(/LEFT or RIGHT/);
  });

  it('Pow on int64 is exact (and wraps at 64 bits); the exponent may have another type', async () => {
    const x = new Tensor('int64', [3n, 3n, 2n], [3]);
    expect(values(await run(Pow, [x, new Tensor('int64', [39n, 41n, -1n], [3])]))).toEqual([
      4052555153018976267n,
      -420491770248316829n,
      0n,
    ]);
    expect(values(await run(Pow, [new Tensor('int32', [2, 3], [2]), f32([10, 0.5])]))).toEqual([1024, 1]);
  });

  it('reports shapes that cannot be broadcast, at plan time and at run time', async () => {
    expect(() =>
      callInfer(Add, [
        { type: 'float32', dims: [2, 3] },
        { type: 'float32', dims: [4] },
      ]),
    ).toThrow(/cannot be broadcast/);
    await expect(run(Add, [f32([1, 2, 3, 4, 5, 6], [2, 3]), f32([1, 2, 3, 4])])).rejects.toThrow(
      /cannot be broadcast/,
    );
    // Unknown dims are not an error.
    expect(
      callInfer(Add, [
        { type: 'float32', dims: [2, null] },
        { type: 'float32', dims: [4] },
      ]),
    ).toEqual([{ type: 'float32', dims: [2, 4] }]);
    await expect(run(Add, [f32([1]), new Tensor('int32', [1], [1])])).rejects.toThrow(/input types differ/);
  });

  it('before opset 7, broadcast=1 with axis lines B up with A from that axis', async () => {
    const attrs = { broadcast: 1, axis: 0 };
    const y = await run(Add, [f32([1, 2, 3, 4, 5, 6], [2, 3]), f32([10, 20])], attrs, 6);
    expect(values(y)).toEqual([11, 12, 13, 24, 25, 26]);
    const meta = callInfer(
      Add,
      [
        { type: 'float32', dims: [2, null] },
        { type: 'float32', dims: [2] },
      ],
      attrs,
      { opset: 6 },
    );
    expect(meta).toEqual([{ type: 'float32', dims: [2, null] }]);
  });

  it('PRelu before opset 7 applies a 1-D slope per channel', async () => {
    const x = f32([-1, -1, -1, -1, -1, -1, 1, 1], [1, 2, 2, 2]);
    expect(values(await run(PRelu, [x, f32([0.5, 2])], {}, 6))).toEqual([
      -0.5, -0.5, -0.5, -0.5, -2, -2, 1, 1,
    ]);
    await expect(run(PRelu, [f32([1, 2]), f32([1, 2, 3, 4], [2, 2])])).rejects.toThrow(/does not broadcast/);
  });
});

describe('comparisons and variadic operators', () => {
  it('compare int64 exactly and strings by value', async () => {
    const a = new Tensor('int64', [2n ** 53n + 1n], [1]);
    const b = new Tensor('int64', [2n ** 53n], [1]);
    expect(values(await run(Greater, [a, b]))).toEqual([1]);
    const s = await run(Equal, [new Tensor('string', ['a', 'b'], [2]), new Tensor('string', ['b'], [1])]);
    expect(s.type).toBe('bool');
    expect(values(s)).toEqual([0, 1]);
  });

  it('Max broadcasts any number of inputs and propagates NaN', async () => {
    const y = await run(Max, [f32([1, 5]), f32([3, 0], [2, 1]), f32([Number.NaN, 2])]);
    expect(y.dims).toEqual([2, 2]);
    expect(values(y)).toEqual([Number.NaN, 5, Number.NaN, 5]);
  });

  it('Mean divides the sum by the number of inputs', async () => {
    expect(values(await run(Mean, [f32([2, 4]), f32([6])]))).toEqual([4, 5]);
  });
});

describe('Where', () => {
  it('broadcasts condition, x and y together', async () => {
    const c = new Tensor('bool', [1, 0], [2, 1]);
    const y = await run(Where, [c, f32([1, 2, 3]), f32([9], [])]);
    expect(y.dims).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 2, 3, 9, 9, 9]);
  });

  it("accepts OnnxStream's int64 conditions and keeps int64 values exact", async () => {
    const c = new Tensor('int64', [0n, 5n], [2]);
    const y = await run(Where, [
      c,
      new Tensor('int64', [2n ** 60n + 1n, 1n], [2]),
      new Tensor('int64', [7n, 8n], [2]),
    ]);
    expect(values(y)).toEqual([7n, 1n]);
  });

  it('rejects x and y of different types', async () => {
    await expect(
      run(Where, [new Tensor('bool', [1], [1]), f32([1]), new Tensor('int64', [1n], [1])]),
    ).rejects.toThrow(/x and y types differ/);
  });
});

describe('Clip', () => {
  it('takes min/max attributes before opset 11 (text in model.txt)', async () => {
    const y = await run(Clip, [f32([-1, 3, 9])], { min: text('0'), max: text('6') }, 6);
    expect(values(y)).toEqual([0, 3, 6]);
  });

  it('takes optional min/max inputs from opset 11, integer types included', async () => {
    const x = new Tensor('int8', [-100, 0, 100], [3]);
    expect(values(await run(Clip, [x, undefined, new Tensor('int8', [50], [])], {}, 13))).toEqual([
      -100, 0, 50,
    ]);
    const big = new Tensor('int64', [2n ** 62n, -(2n ** 62n)], [2]);
    const lim = new Tensor('int64', [2n ** 61n + 1n], []);
    expect(values(await run(Clip, [big, undefined, lim], {}, 13))).toEqual([2n ** 61n + 1n, -(2n ** 62n)]);
  });

  it('gives max everywhere when min > max, and checks the bounds', async () => {
    expect(values(await run(Clip, [f32([-5, 0, 5]), f32([2], []), f32([1], [])], {}, 13))).toEqual([1, 1, 1]);
    await expect(run(Clip, [f32([1]), f32([0, 1])], {}, 13)).rejects.toThrow(/min must be a scalar/);
    await expect(run(Clip, [f32([1]), new Tensor('int32', [0], [])], {}, 13)).rejects.toThrow(
      /min has type int32/,
    );
  });
});
