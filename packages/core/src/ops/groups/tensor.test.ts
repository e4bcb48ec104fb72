/**
 * Behaviour of the tensor group's kernels that the ONNX conformance cases do not cover: older-opset
 * semantics, lenient attribute forms, int64 exactness, pad modes beyond the examples, and errors.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue, Node } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import { Attributes } from '../attributes.js';
import type { OpDef } from '../op.js';
import { TENSOR_OPS } from './tensor.js';

const op = (type: string): OpDef => TENSOR_OPS.find((o) => o.type === type)!;

type Attrs = Record<string, AttrValue>;
const ints = (...value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });
const str = (value: string): AttrValue => ({ type: 'string', value });

/** Runs one kernel; `undefined` inputs are omitted optional ones. */
function run(
  type: string,
  inputs: (Tensor | undefined)[],
  attrs: Attrs = {},
  opset = 25,
  outputCount = 1,
): Tensor[] {
  const node: Node = {
    name: 'n',
    opType: type,
    domain: '',
    inputs: [],
    outputs: [],
    attributes: new Map(Object.entries(attrs)),
  };
  const ctx = {
    inputs,
    attrs: new Attributes(node.attributes),
    opset,
    outputCount,
    node,
    runSubgraph: async () => [],
  };
  return op(type).run(ctx) as Tensor[];
}

const f32 = (values: number[], dims = [values.length]) => new Tensor('float32', values, dims);
const i64 = (values: number[], dims = [values.length]) => new Tensor('int64', values.map(BigInt), dims);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint | string>);

describe('Resize', () => {
  it('opset 10 nearest: ceil when downsampling, floor when upsampling (onnxruntime), asymmetric coordinates', () => {
    const x = f32([0, 1, 2, 3, 4, 5, 6, 7]);
    // Source coordinates o / 0.6 = 0, 1.67, 3.33, 5.
    expect(values(run('Resize', [x, f32([0.6])], {}, 10)[0])).toEqual([0, 2, 4, 5]);
    // Source coordinates o / 1.5 = 0, 0.67, 1.33, 2, 2.67, 3.33.
    expect(values(run('Resize', [f32([10, 11, 12, 13]), f32([1.5])], {}, 10)[0])).toEqual([
      10, 10, 11, 12, 12, 13,
    ]);
  });

  it('opset 10 linear uses asymmetric coordinates', () => {
    expect(values(run('Resize', [f32([0, 10]), f32([2])], { mode: str('linear') }, 10)[0])).toEqual([
      0, 5, 10, 10,
    ]);
  });

  it('antialiased linear downsampling widens the triangle filter by 1/scale', () => {
    // Half-pixel centres 0.5 and 2.5; taps at distance 0.5 and 1.5 weigh 0.375 and 0.125 (normalised).
    const y = run(
      'Resize',
      [f32([0, 1, 2, 3]), undefined, f32([0.5])],
      { mode: str('linear'), antialias: int(1) },
      18,
    )[0];
    expect(values(y)).toEqual([0.625, 2.375]);
  });

  it('tf_half_pixel_for_nn (opset 11) maps o to (o + 0.5) / scale', () => {
    const y = run(
      'Resize',
      [f32([0, 1, 2, 3]), undefined, f32([0.5])],
      { coordinate_transformation_mode: str('tf_half_pixel_for_nn') },
      11,
    )[0];
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
  ])('%s pads %j', (mode, pads, want) => {
    expect(values(run('Pad', [x, i64(pads)], { mode: str(mode) })[0])).toEqual(want);
  });

  it('negative pads crop; the constant fills the rest; axes select the padded axes', () => {
    const m = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = run('Pad', [m, i64([-1, 2]), f32([9], []), i64([-1])])[0];
    expect(y.dims).toEqual([2, 4]);
    expect(values(y)).toEqual([2, 3, 9, 9, 5, 6, 9, 9]);
  });

  it('opset 2 reads pads and value from attributes', () => {
    expect(values(run('Pad', [x], { pads: ints(1, 0), value: { type: 'float', value: 7 } }, 2)[0])).toEqual([
      7, 1, 2, 3,
    ]);
  });

  it('cannot reflect an empty axis', () => {
    expect(() => run('Pad', [f32([], [0]), i64([1, 1])], { mode: str('reflect') })).toThrow(
      /reflect padding needs a non-empty/,
    );
  });
});

describe('reductions', () => {
  it('int64 sums stay exact beyond 2^53', () => {
    const y = run('ReduceSum', [new Tensor('int64', [2n ** 53n, 1n], [2])], { keepdims: int(0) })[0];
    expect(values(y)).toEqual([2n ** 53n + 1n]);
  });

  it('the max of an empty int32 set is the smallest int32', () => {
    const y = run('ReduceMax', [new Tensor('int32', [], [2, 0])], { axes: ints(1) }, 13)[0];
    expect(values(y)).toEqual([-2147483648, -2147483648]);
  });

  it('an axes attribute is honoured at opset 18, where axes became an input', () => {
    const y = run('ReduceMean', [f32([1, 2, 3, 4], [2, 2])], { axes: ints(0) }, 18)[0];
    expect(y.dims).toEqual([1, 2]);
    expect(values(y)).toEqual([2, 3]);
  });

  it('empty axes reduce everything, or nothing with noop_with_empty_axes', () => {
    const x = f32([1, 2, 3, 4], [2, 2]);
    expect(values(run('ReduceSum', [x, i64([])], {}, 13)[0])).toEqual([10]);
    const same = run('ReduceSum', [x, i64([])], { noop_with_empty_axes: int(1) }, 13)[0];
    expect(same.dims).toEqual([2, 2]);
    expect(values(same)).toEqual([1, 2, 3, 4]);
  });

  it('log-sum-exp does not overflow', () => {
    const y = run('ReduceLogSumExp', [new Tensor('float64', [1000, 1000], [2])], { keepdims: int(0) }, 18)[0];
    expect(values(y)[0]).toBeCloseTo(1000 + Math.log(2), 12);
  });

  it('rejects repeated axes', () => {
    expect(() => run('ReduceSum', [f32([1, 2], [2]), i64([0, -1])], {}, 13)).toThrow(/has duplicates/);
  });
});

describe('indexing', () => {
  it('TopK puts NaN first when largest, keeps ties in index order, and is exact on int64', () => {
    const [v, i] = run('TopK', [f32([1, Number.NaN, 3, 3]), i64([3])], {}, 11, 2);
    expect(values(v)).toEqual([Number.NaN, 3, 3]);
    expect(values(i)).toEqual([1n, 2n, 3n]);
    const big = new Tensor('int64', [2n ** 60n + 1n, 2n ** 60n], [2]);
    const [bv, bi] = run('TopK', [big, i64([1])], { largest: int(0) }, 11, 2);
    expect(values(bv)).toEqual([2n ** 60n]);
    expect(values(bi)).toEqual([1n]);
  });

  it('TopK reads k from the attribute in opset 1', () => {
    expect(values(run('TopK', [f32([5, 9, 7])], { k: int(2) }, 1, 2)[0])).toEqual([9, 7]);
  });

  it('Unique on strings, in order of first occurrence', () => {
    const [y, first, inverse, counts] = run(
      'Unique',
      [new Tensor('string', ['b', 'a', 'b', 'c'], [4])],
      { sorted: int(0) },
      11,
      4,
    );
    expect(values(y)).toEqual(['b', 'a', 'c']);
    expect(values(first)).toEqual([0n, 1n, 3n]);
    expect(values(inverse)).toEqual([0n, 1n, 0n, 2n]);
    expect(values(counts)).toEqual([2n, 1n, 1n]);
  });

  it('ScatterND adds int64 updates exactly, duplicates accumulating', () => {
    const y = run(
      'ScatterND',
      [i64([0, 0, 0]), i64([2, 2], [2, 1]), i64([5, 7])],
      { reduction: str('add') },
      18,
    )[0];
    expect(values(y)).toEqual([0n, 0n, 12n]);
  });

  it('GatherND with batch_dims', () => {
    const data = f32([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    const y = run('GatherND', [data, i64([1, 0], [2, 1])], { batch_dims: int(1) })[0];
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
  ] as const)('Constant %s', (name, attr, type, dims, want) => {
    const y = run('Constant', [], { [name]: attr as AttrValue })[0];
    expect([y.type, y.dims, values(y)]).toEqual([type, dims, want]);
  });

  it('Constant needs exactly one value attribute', () => {
    expect(() => run('Constant', [], { value_int: int(1), value_ints: ints(1) })).toThrow(
      /exactly one value attribute/,
    );
  });

  it('Dropout before opset 10 returns a mask of the input type; inference keeps every element', () => {
    const [y, mask] = run('Dropout', [f32([1, 2])], { ratio: { type: 'float', value: 0.5 } }, 7, 2);
    expect(values(y)).toEqual([1, 2]);
    expect([mask.type, values(mask)]).toEqual(['float32', [1, 1]]);
  });

  it('Range steps int64 exactly', () => {
    const scalar = (v: bigint) => new Tensor('int64', [v], []);
    const y = run('Range', [scalar(2n ** 53n), scalar(2n ** 53n + 3n), scalar(1n)])[0];
    expect(values(y)).toEqual([2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 2n]);
  });
});

describe('shape rules and errors', () => {
  it('Shape is known at plan time from known dims, sliced by start/end', () => {
    const [m] = op('Shape').infer({
      inputs: [{ type: 'float32', dims: [2, 'n', 5, 7] }],
      attrs: new Attributes(new Map([['start', int(-2)]])),
      opset: 25,
      outputCount: 1,
      node: { name: 'n', opType: 'Shape', domain: '', inputs: [], outputs: [], attributes: new Map() },
    });
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
  ] as const)('%s rejects bad inputs', (type, inputs, message) => {
    expect(() => run(type, [...inputs], {}, 18)).toThrow(message);
  });
});
