/**
 * Behaviour of the tensor group's kernels that the ONNX conformance cases do not cover: older-opset
 * semantics, lenient attribute forms, int64 exactness, pad modes beyond the examples, and errors.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import type { OpDef } from '../op.js';
import { callInfer, callTensorKernel } from '../support/kernel-call.js';
import { TENSOR_OPS } from './tensor.js';

const op = (type: string): OpDef => TENSOR_OPS.find((o) => o.type === type)!;

const f32 = (values: number[], dims = [values.length]) => new Tensor('float32', values, dims);
const i64 = (values: number[], dims = [values.length]) => new Tensor('int64', values.map(BigInt), dims);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint | string>);

describe('Resize', () => {
  it('opset 10 nearest: ceil when downsampling, floor when upsampling (onnxruntime), asymmetric coordinates', async () => {
    const x = f32([0, 1, 2, 3, 4, 5, 6, 7]);
    // Source coordinates o / 0.6 = 0, 1.67, 3.33, 5.
    const [down] = await callTensorKernel(op('Resize'), [x, f32([0.6])], {}, { opset: 10 });
    expect(values(down)).toEqual([0, 2, 4, 5]);
    // Source coordinates o / 1.5 = 0, 0.67, 1.33, 2, 2.67, 3.33.
    const [up] = await callTensorKernel(op('Resize'), [f32([10, 11, 12, 13]), f32([1.5])], {}, { opset: 10 });
    expect(values(up)).toEqual([10, 10, 11, 12, 12, 13]);
  });

  it('opset 10 linear uses asymmetric coordinates', async () => {
    const [y] = await callTensorKernel(
      op('Resize'),
      [f32([0, 10]), f32([2])],
      { mode: 'linear' },
      { opset: 10 },
    );
    expect(values(y)).toEqual([0, 5, 10, 10]);
  });

  it('antialiased linear downsampling widens the triangle filter by 1/scale', async () => {
    // Half-pixel centres 0.5 and 2.5; taps at distance 0.5 and 1.5 weigh 0.375 and 0.125 (normalised).
    const [y] = await callTensorKernel(
      op('Resize'),
      [f32([0, 1, 2, 3]), undefined, f32([0.5])],
      { mode: 'linear', antialias: 1 },
      { opset: 18 },
    );
    expect(values(y)).toEqual([0.625, 2.375]);
  });

  it('tf_half_pixel_for_nn (opset 11) maps o to (o + 0.5) / scale', async () => {
    const [y] = await callTensorKernel(
      op('Resize'),
      [f32([0, 1, 2, 3]), undefined, f32([0.5])],
      { coordinate_transformation_mode: 'tf_half_pixel_for_nn' },
      { opset: 11 },
    );
    // (0.5) / 0.5 = 1 and 1.5 / 0.5 = 3.
    expect(values(y)).toEqual([1, 3]);
  });
});

describe('Pad', () => {
  const x = f32([1, 2, 3]);
  it.each([
    ['reflect', [4, 0], [1, 2, 3, 2, 1, 2, 3]],
    ['wrap', [2, 4], [2, 3, 1, 2, 3, 1, 2, 3, 1]],
    ['edge', [-1, 2], [2, 3, 3, 3]],
    ['reflect', [-1, 1], [2, 3, 2]],
  ])('%s pads %j', async (mode, pads, want) => {
    const [y] = await callTensorKernel(op('Pad'), [x, i64(pads)], { mode });
    expect(values(y)).toEqual(want);
  });

  it('negative pads crop; the constant fills the rest; axes select the padded axes', async () => {
    const m = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const [y] = await callTensorKernel(op('Pad'), [m, i64([-1, 2]), f32([9], []), i64([-1])]);
    expect(y.dims).toEqual([2, 4]);
    expect(values(y)).toEqual([2, 3, 9, 9, 5, 6, 9, 9]);
  });

  it('opset 2 reads pads and value from attributes', async () => {
    const [y] = await callTensorKernel(op('Pad'), [x], { pads: [1, 0], value: 7 }, { opset: 2 });
    expect(values(y)).toEqual([7, 1, 2, 3]);
  });

  it('cannot reflect an empty axis', async () => {
    await expect(
      callTensorKernel(op('Pad'), [f32([], [0]), i64([1, 1])], { mode: 'reflect' }),
    ).rejects.toThrow(/reflect padding needs a non-empty/);
  });
});

describe('reductions', () => {
  it('int64 sums stay exact beyond 2^53', async () => {
    const [y] = await callTensorKernel(op('ReduceSum'), [new Tensor('int64', [2n ** 53n, 1n], [2])], {
      keepdims: 0,
    });
    expect(values(y)).toEqual([2n ** 53n + 1n]);
  });

  it('the max of an empty int32 set is the smallest int32', async () => {
    const [y] = await callTensorKernel(
      op('ReduceMax'),
      [new Tensor('int32', [], [2, 0])],
      { axes: [1] },
      { opset: 13 },
    );
    expect(values(y)).toEqual([-2147483648, -2147483648]);
  });

  it('an axes attribute is honoured at opset 18, where axes became an input', async () => {
    const [y] = await callTensorKernel(
      op('ReduceMean'),
      [f32([1, 2, 3, 4], [2, 2])],
      { axes: [0] },
      { opset: 18 },
    );
    expect(y.dims).toEqual([1, 2]);
    expect(values(y)).toEqual([2, 3]);
  });

  it('empty axes reduce everything, or nothing with noop_with_empty_axes', async () => {
    const x = f32([1, 2, 3, 4], [2, 2]);
    const [all] = await callTensorKernel(op('ReduceSum'), [x, i64([])], {}, { opset: 13 });
    expect(values(all)).toEqual([10]);
    const [same] = await callTensorKernel(
      op('ReduceSum'),
      [x, i64([])],
      { noop_with_empty_axes: 1 },
      { opset: 13 },
    );
    expect(same.dims).toEqual([2, 2]);
    expect(values(same)).toEqual([1, 2, 3, 4]);
  });

  it('log-sum-exp does not overflow', async () => {
    const [y] = await callTensorKernel(
      op('ReduceLogSumExp'),
      [new Tensor('float64', [1000, 1000], [2])],
      { keepdims: 0 },
      { opset: 18 },
    );
    expect(values(y)[0]).toBeCloseTo(1000 + Math.log(2), 12);
  });

  it('rejects repeated axes', async () => {
    await expect(
      callTensorKernel(op('ReduceSum'), [f32([1, 2], [2]), i64([0, -1])], {}, { opset: 13 }),
    ).rejects.toThrow(/has duplicates/);
  });
});

describe('indexing', () => {
  it('TopK puts NaN first when largest, keeps ties in index order, and is exact on int64', async () => {
    const [v, i] = await callTensorKernel(
      op('TopK'),
      [f32([1, Number.NaN, 3, 3]), i64([3])],
      {},
      { opset: 11, outputCount: 2 },
    );
    expect(values(v)).toEqual([Number.NaN, 3, 3]);
    expect(values(i)).toEqual([1n, 2n, 3n]);
    const big = new Tensor('int64', [2n ** 60n + 1n, 2n ** 60n], [2]);
    const [bv, bi] = await callTensorKernel(
      op('TopK'),
      [big, i64([1])],
      { largest: 0 },
      { opset: 11, outputCount: 2 },
    );
    expect(values(bv)).toEqual([2n ** 60n]);
    expect(values(bi)).toEqual([1n]);
  });

  it('TopK reads k from the attribute in opset 1', async () => {
    const [v] = await callTensorKernel(op('TopK'), [f32([5, 9, 7])], { k: 2 }, { opset: 1, outputCount: 2 });
    expect(values(v)).toEqual([9, 7]);
  });

  it('Unique on strings, in order of first occurrence', async () => {
    const [y, first, inverse, counts] = await callTensorKernel(
      op('Unique'),
      [new Tensor('string', ['b', 'a', 'b', 'c'], [4])],
      { sorted: 0 },
      { opset: 11, outputCount: 4 },
    );
    expect(values(y)).toEqual(['b', 'a', 'c']);
    expect(values(first)).toEqual([0n, 1n, 3n]);
    expect(values(inverse)).toEqual([0n, 1n, 0n, 2n]);
    expect(values(counts)).toEqual([2n, 1n, 1n]);
  });

  it('ScatterND adds int64 updates exactly, duplicates accumulating', async () => {
    const [y] = await callTensorKernel(
      op('ScatterND'),
      [i64([0, 0, 0]), i64([2, 2], [2, 1]), i64([5, 7])],
      { reduction: 'add' },
      { opset: 18 },
    );
    expect(values(y)).toEqual([0n, 0n, 12n]);
  });

  it('GatherND with batch_dims', async () => {
    const data = f32([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    const [y] = await callTensorKernel(op('GatherND'), [data, i64([1, 0], [2, 1])], { batch_dims: 1 });
    expect(y.dims).toEqual([2, 2]);
    expect(values(y)).toEqual([2, 3, 4, 5]);
  });
});

describe('generators', () => {
  it.each([
    ['value_float', { type: 'float', value: 2.5 }, 'float32', [], [2.5]],
    ['value_floats', { type: 'floats', value: [1, 2] }, 'float32', [2], [1, 2]],
    ['value_int', { type: 'int', value: 7 }, 'int64', [], [7n]],
    ['value_ints', { type: 'ints', value: [3, -4] }, 'int64', [2], [3n, -4n]],
    ['value_string', { type: 'string', value: 'a' }, 'string', [], ['a']],
    ['value_strings', { type: 'strings', value: ['a', 'b'] }, 'string', [2], ['a', 'b']],
  ] as const)('Constant %s', async (name, attr, type, dims, want) => {
    const [y] = await callTensorKernel(op('Constant'), [], { [name]: attr as AttrValue });
    expect([y.type, y.dims, values(y)]).toEqual([type, dims, want]);
  });

  it('Constant needs exactly one value attribute', async () => {
    await expect(callTensorKernel(op('Constant'), [], { value_int: 1, value_ints: [1] })).rejects.toThrow(
      /exactly one value attribute/,
    );
  });

  it('Dropout before opset 10 returns a mask of the input type; inference keeps every element', async () => {
    const [y, mask] = await callTensorKernel(
      op('Dropout'),
      [f32([1, 2])],
      { ratio: 0.5 },
      { opset: 7, outputCount: 2 },
    );
    expect(values(y)).toEqual([1, 2]);
    expect([mask.type, values(mask)]).toEqual(['float32', [1, 1]]);
  });

  it('Range steps int64 exactly', async () => {
    const scalar = (v: bigint) => new Tensor('int64', [v], []);
    const [y] = await callTensorKernel(op('Range'), [scalar(2n ** 53n), scalar(2n ** 53n + 3n), scalar(1n)]);
    expect(values(y)).toEqual([2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 2n]);
  });
});

describe('shape rules and errors', () => {
  it('Shape is known at plan time from known dims, sliced by start/end', () => {
    const [m] = callInfer(op('Shape'), [{ type: 'float32', dims: [2, 'n', 5, 7] }], { start: -2 });
    expect(m.dims).toEqual([2]);
    expect(values(m.value!)).toEqual([5n, 7n]);
  });

  it.each([
    ['Expand', [f32([1, 2, 3]), i64([2])], /cannot be broadcast/],
    ['Gather', [f32([1, 2, 3]), i64([3])], /index 3 is out of range for a dimension of 3/],
    ['GatherElements', [f32([1, 2]), i64([-3])], /index -3 is out of range/],
    ['Squeeze', [f32([1, 2], [2, 1]), i64([0])], /cannot squeeze axis 0 of shape \[2,1\]/],
    ['Unsqueeze', [f32([1, 2]), i64([0, -3])], /has duplicates/],
    ['Tile', [f32([1, 2]), i64([2, 2])], /repeats has 2 values for rank 1/],
    ['ScatterND', [f32([1, 2]), i64([0], [1, 1]), f32([1, 2])], /updates shape \[2\] must be \[1\]/],
  ] as const)('%s rejects bad inputs', async (type, inputs, message) => {
    await expect(callTensorKernel(op(type), [...inputs], {}, { opset: 18 })).rejects.toThrow(message);
  });
});
