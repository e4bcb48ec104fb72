import { describe, expect, it } from 'vitest';
import { castTensor } from '../tensor/convert.js';
import type { DataType } from '../tensor/dtype.js';
import { decodeMinifloat, encodeMinifloat, type MinifloatType } from '../tensor/minifloat.js';
import { Tensor } from '../tensor/tensor.js';
import { BitCast } from './bit-cast.js';
import { Cast } from './cast.js';
import { CastLike } from './cast-like.js';
import type { OpDef } from './op.js';
import { type AttrInput, callInfer, callTensorKernel } from './support/kernel-call.js';

const run = async (op: OpDef, inputs: Tensor[], attrs: Record<string, AttrInput> = {}): Promise<Tensor> =>
  (await callTensorKernel(op, inputs, attrs))[0];

describe('Cast between int64, float32 and bool (the casts OnnxStream models use)', () => {
  it('int64 -> float32 rounds to the nearest float', async () => {
    const x = new Tensor('int64', [0n, -3n, 2n ** 40n, 2n ** 53n + 1n], [4]);
    const y = await run(Cast, [x], { to: 1 });
    expect(y.type).toBe('float32');
    expect(Array.from(y.data as Float32Array)).toEqual([0, -3, 2 ** 40, 2 ** 53]);
  });

  it('float32 -> int64 truncates toward zero, beyond 32 bits too', async () => {
    const x = new Tensor('float32', [1.9, -1.9, 0, 3e9, -(2 ** 40)], [5]);
    const y = await run(Cast, [x], { to: 7 });
    expect(y.type).toBe('int64');
    expect(Array.from(y.data as BigInt64Array)).toEqual([1n, -1n, 0n, 3000000000n, -(2n ** 40n)]);
  });

  it('int64 -> int32 keeps the low 32 bits exactly', async () => {
    const x = new Tensor('int64', [2n ** 32n + 5n, -1n, 2n ** 53n + 1n], [3]);
    expect(Array.from((await run(Cast, [x], { to: 6 })).data as Int32Array)).toEqual([5, -1, 1]);
  });

  it('casts to bool test non-zero: NaN is true, -0 is false, 2^32 is true', async () => {
    const f = await run(Cast, [new Tensor('float32', [0, -0, 0.5, Number.NaN, -2], [5])], { to: 9 });
    expect(f.type).toBe('bool');
    expect(Array.from(f.data as Uint8Array)).toEqual([0, 0, 1, 1, 1]);
    const i = await run(Cast, [new Tensor('int64', [0n, 2n ** 32n, -1n], [3])], { to: 9 });
    expect(Array.from(i.data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('bool -> float32 and int64 give 0 and 1', async () => {
    const b = new Tensor('bool', [1, 0, 1], [3]);
    expect(Array.from((await run(Cast, [b], { to: 1 })).data as Float32Array)).toEqual([1, 0, 1]);
    expect(Array.from((await run(Cast, [b], { to: 7 })).data as BigInt64Array)).toEqual([1n, 0n, 1n]);
  });

  it("reads model.txt's text attribute (to:7) and infers the output type from it", async () => {
    const attrs: Record<string, AttrInput> = { to: { type: 'text', value: '7' } };
    const y = await run(Cast, [new Tensor('float32', [2.5], [1])], attrs);
    expect(y.type).toBe('int64');
    expect(Array.from(y.data as BigInt64Array)).toEqual([2n]);
    expect(callInfer(Cast, [{ type: 'float32', dims: [1, null] }], attrs)).toEqual([
      { type: 'int64', dims: [1, null] },
    ]);
  });

  it('rejects an unknown target type and a missing `to`', async () => {
    const x = new Tensor('float32', [1], [1]);
    await expect(run(Cast, [x], { to: 14 })).rejects.toThrow(/complex/);
    await expect(run(Cast, [x], {})).rejects.toThrow(/missing required attribute 'to'/);
  });

  it('shares the data when the type does not change', async () => {
    const x = new Tensor('float32', [1, 2], [2]);
    expect((await run(Cast, [x], { to: 1 })).data).toBe(x.data);
  });
});

describe('Cast with strings', () => {
  it('parses decimal, scientific and the INF/NaN spellings in any case', async () => {
    const x = new Tensor('string', ['1.5', '-INF', 'nan', '1E-5', '+inf', ' 42 '], [6]);
    expect(Array.from((await run(Cast, [x], { to: 11 })).data as Float64Array)).toEqual([
      1.5,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      1e-5,
      Number.POSITIVE_INFINITY,
      42,
    ]);
  });

  it('parses integers beyond 2^53 exactly into int64 and truncates decimals into integers', async () => {
    const x = new Tensor('string', ['9007199254740993', '-100.5'], [2]);
    expect(Array.from((await run(Cast, [x], { to: 7 })).data as BigInt64Array)).toEqual([
      9007199254740993n,
      -100n,
    ]);
    const small = new Tensor('string', ['7', '-100.5'], [2]);
    expect(Array.from((await run(Cast, [small], { to: 6 })).data as Int32Array)).toEqual([7, -100]);
  });

  it('prints the shortest text that reads back as the same value of the source type', async () => {
    const f = new Tensor('float32', [0.1, 1, -0, Number.NaN, Number.NEGATIVE_INFINITY, 1e-7], [6]);
    expect((await run(Cast, [f], { to: 8 })).data).toEqual(['0.1', '1', '-0', 'NaN', '-INF', '1e-7']);
    const h = castTensor(new Tensor('float32', [0.1], [1]), 'float16');
    expect(castTensor(h, 'string').data).toEqual(['0.1']);
    expect(castTensor(new Tensor('int64', [-(2n ** 63n)], [1]), 'string').data).toEqual([
      '-9223372036854775808',
    ]);
  });
});

describe('Cast to the 8-, 4- and 2-bit types', () => {
  it('wraps int4/uint4/int2/uint2 like the wider integer types do', async () => {
    const x = new Tensor('float32', [-9, 8, 7.9, -1, 4, 5], [6]);
    expect(Array.from((await run(Cast, [x], { to: 22 })).data as Int8Array)).toEqual([7, -8, 7, -1, 4, 5]);
    expect(Array.from((await run(Cast, [x], { to: 25 })).data as Uint8Array)).toEqual([3, 0, 3, 3, 0, 1]);
    expect(Array.from((await run(Cast, [x], { to: 26 })).data as Int8Array)).toEqual([-1, 0, -1, -1, 0, 1]);
  });

  it('saturate=0 gives NaN or infinity (signed) on overflow, saturate=1 the largest value', async () => {
    const x = new Tensor('float32', [1e6, -1e6, Number.NEGATIVE_INFINITY], [3]);
    const codes = async (to: number, saturate: number) =>
      Array.from((await run(Cast, [x], { to, saturate })).data as Uint8Array);
    expect(await codes(17, 0)).toEqual([0x7f, 0xff, 0xff]);
    expect(await codes(17, 1)).toEqual([0x7e, 0xfe, 0xfe]);
    expect(await codes(19, 0)).toEqual([0x7c, 0xfc, 0xfc]);
    expect(await codes(18, 0)).toEqual([0x80, 0x80, 0x80]);
    expect(await codes(20, 1)).toEqual([0x7f, 0xff, 0xff]);
  });

  it('rounds ties to even, also at the top of the range', () => {
    // float8e4m3fn: 1 = 0x38, 1.125 = 0x39, 1.25 = 0x3a; 448 = 0x7e is the largest value.
    expect(encodeMinifloat('float8e4m3fn', 1.0625, false)).toBe(0x38);
    expect(encodeMinifloat('float8e4m3fn', 1.1875, false)).toBe(0x3a);
    expect(encodeMinifloat('float8e4m3fn', 464, false)).toBe(0x7e);
    expect(encodeMinifloat('float8e4m3fn', 480, false)).toBe(0x7f);
    // float4e2m1 values 0, 0.5, 1, 1.5, 2, 3, 4, 6.
    expect([0.25, 0.75, 5, 7, -0.1].map((v) => encodeMinifloat('float4e2m1', v))).toEqual([0, 2, 6, 7, 8]);
  });

  it('decodes and re-encodes every finite code of every format to itself', () => {
    const formats: [MinifloatType, number][] = [
      ['float8e4m3fn', 256],
      ['float8e4m3fnuz', 256],
      ['float8e5m2', 256],
      ['float8e5m2fnuz', 256],
      ['float4e2m1', 16],
    ];
    for (const [type, count] of formats) {
      for (let c = 0; c < count; c++) {
        const v = decodeMinifloat(type, c);
        if (!Number.isNaN(v)) expect(encodeMinifloat(type, v, false), `${type} code ${c}`).toBe(c);
      }
    }
    // float8e8m0 code 0 (2^-127) is a float32 subnormal, which 'up' rounds to code 1.
    for (let c = 1; c < 255; c++)
      expect(encodeMinifloat('float8e8m0', decodeMinifloat('float8e8m0', c))).toBe(c);
  });

  it("applies float8e8m0's round_mode and saturate", async () => {
    const x = new Tensor('float32', [1, 1.01, 1.4, 1.5, 3 * 2 ** 126, Number.NaN, 0.75], [7]);
    const codes = async (round_mode: string, saturate = 1) =>
      Array.from((await run(Cast, [x], { to: 24, round_mode, saturate })).data as Uint8Array);
    expect(await codes('up')).toEqual([127, 128, 128, 128, 254, 255, 127]);
    expect(await codes('down')).toEqual([127, 127, 127, 127, 254, 255, 126]);
    expect(await codes('nearest')).toEqual([127, 127, 127, 128, 254, 255, 127]);
    expect(await codes('up', 0)).toEqual([127, 128, 128, 128, 255, 255, 127]);
    await expect(codes('sideways')).rejects.toThrow(/round_mode/);
  });
});

describe('CastLike and BitCast', () => {
  it('CastLike takes the type of input 1 without reading its values', async () => {
    const y = await run(
      CastLike,
      [new Tensor('float32', [1.5, -2.5], [2]), new Tensor('int64', [], [0])],
      {},
    );
    expect(y.type).toBe('int64');
    expect(Array.from(y.data as BigInt64Array)).toEqual([1n, -2n]);
  });

  it('BitCast reinterprets bits and needs equal widths', async () => {
    const y = await run(BitCast, [new Tensor('float32', [1, -2], [2])], { to: 6 });
    expect(Array.from(y.data as Int32Array)).toEqual([0x3f800000, -0x40000000]);
    const u4 = await run(BitCast, [new Tensor('int4', [-1, 7, -8], [3])], { to: 21 });
    expect(Array.from(u4.data as Uint8Array)).toEqual([15, 7, 8]);
    await expect(run(BitCast, [new Tensor('float32', [1], [1])], { to: 7 })).rejects.toThrow(
      /32 bits.*64 bits/,
    );
  });
});

describe('castTensor', () => {
  it('round-trips exactly representable values through float16, bfloat16 and float8', () => {
    const types: DataType[] = ['float16', 'bfloat16', 'float8e5m2'];
    for (const t of types) {
      const back = castTensor(castTensor(new Tensor('float32', [0.5, -2, 0], [3]), t), 'float32');
      expect(Array.from(back.data as Float32Array), t).toEqual([0.5, -2, 0]);
    }
  });
});
