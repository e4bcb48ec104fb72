/**
 * If, Loop and Scan end to end: small ONNX models (subgraph attributes included) are encoded,
 * read, planned and run, so the executor's subgraph calls and outer-scope values take part.
 */
import { describe, expect, it } from 'vitest';
import { ModelProto } from '../formats/onnx/schema.js';
import { InferenceSession } from '../session/inference-session.js';
import { Tensor } from '../tensor/tensor.js';

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

/** A ValueInfoProto; no element type leaves the type unknown. */
const value = (name: string, elem?: number, dims?: number[]) => ({
  name,
  type: elem
    ? { tensor_type: { elem_type: elem, shape: dims && { dim: dims.map((d) => ({ dim_value: d })) } } }
    : {},
});
const node = (op: string, input: string[], output: string[], attribute: object[] = []) => ({
  op_type: op,
  input,
  output,
  attribute,
});
const graphAttr = (name: string, g: object) => ({ name, type: 5, g });
const intsAttr = (name: string, ints: number[]) => ({ name, type: 7, ints });
const intAttr = (name: string, i: number) => ({ name, type: 2, i });
const boolConst = (name: string, v: boolean) =>
  node(
    'Constant',
    [],
    [name],
    [{ name: 'value', type: 4, t: { dims: [], data_type: BOOL, int32_data: [v ? 1 : 0] } }],
  );

async function run(
  graph: object,
  opset: number,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const bytes = ModelProto.encode(
    ModelProto.fromObject({ ir_version: 8, opset_import: [{ domain: '', version: opset }], graph }),
  ).finish();
  const session = await InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const f32 = (values: number[], dims: number[]) => new Tensor('float32', values, dims);
const i64 = (v: number) => new Tensor('int64', [BigInt(v)], []);
const bool = (v: boolean) => new Tensor('bool', [v ? 1 : 0], []);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('If', () => {
  const graph = {
    name: 'if',
    node: [
      node(
        'If',
        ['c'],
        ['y'],
        [
          // Both branches read the outer-scope value x.
          graphAttr('then_branch', {
            node: [node('Add', ['x', 'x'], ['t'])],
            output: [value('t', FLOAT, [3])],
          }),
          graphAttr('else_branch', {
            node: [node('Mul', ['x', 'x'], ['e'])],
            output: [value('e', FLOAT, [3])],
          }),
        ],
      ),
    ],
    input: [value('c', BOOL, []), value('x', FLOAT, [3])],
    output: [value('y', FLOAT, [3])],
  };

  it('runs the branch the condition selects, reading outer-scope values', async () => {
    const x = f32([1, 2, 3], [3]);
    expect(values((await run(graph, 13, { c: bool(true), x })).y)).toEqual([2, 4, 6]);
    expect(values((await run(graph, 13, { c: bool(false), x })).y)).toEqual([1, 4, 9]);
  });
});

describe('Loop', () => {
  /** sum += i for each iteration i; the running sum is also a scan output; cond from the model. */
  const body = (condOut: object) => ({
    node: [node('Add', ['sum_in', 'i'], ['sum_out']), node('Identity', ['sum_out'], ['scan']), condOut],
    input: [value('i', INT64, []), value('cond_in', BOOL, []), value('sum_in', INT64, [])],
    output: [value('cond_out', BOOL, []), value('sum_out', INT64, []), value('scan', INT64, [])],
  });
  const loop = (condOut: object) => ({
    name: 'loop',
    node: [node('Loop', ['M', 'c', 's0'], ['sum', 'partial'], [graphAttr('body', body(condOut))])],
    input: [value('M', INT64, []), value('c', BOOL, []), value('s0', INT64, [])],
    output: [value('sum', INT64), value('partial', INT64)],
  });
  const keepGoing = node('Identity', ['cond_in'], ['cond_out']);

  it('carries values between iterations and stacks scan outputs on a new axis 0', async () => {
    const out = await run(loop(keepGoing), 13, { M: i64(4), c: bool(true), s0: i64(10) });
    expect(values(out.sum)).toEqual([16]);
    expect(out.partial.dims).toEqual([4]);
    expect(values(out.partial)).toEqual([10, 11, 13, 16]);
  });

  it('stops when the body returns a false condition', async () => {
    const out = await run(loop(boolConst('cond_out', false)), 13, { M: i64(100), c: bool(true), s0: i64(0) });
    expect(values(out.partial)).toEqual([0]);
  });

  it('runs zero times when the condition starts false: carried values pass through, scans are empty', async () => {
    const out = await run(loop(keepGoing), 13, { M: i64(5), c: bool(false), s0: i64(7) });
    expect(values(out.sum)).toEqual([7]);
    expect(out.partial.dims).toEqual([0]);
  });
});

describe('Scan', () => {
  /** Running sum of rows: state [2], scan input rows [2]. */
  const body = {
    node: [node('Add', ['sum_in', 'row'], ['sum_out']), node('Identity', ['sum_out'], ['scan'])],
    input: [value('sum_in', FLOAT, [2]), value('row', FLOAT, [2])],
    output: [value('sum_out', FLOAT, [2]), value('scan', FLOAT, [2])],
  };
  const x = f32([1, 2, 10, 20, 100, 200], [3, 2]);
  const scan9 = (attrs: object[]) => ({
    name: 'scan',
    node: [
      node(
        'Scan',
        ['s0', 'x'],
        ['sum', 'partial'],
        [graphAttr('body', body), intAttr('num_scan_inputs', 1), ...attrs],
      ),
    ],
    input: [value('s0', FLOAT, [2]), value('x', FLOAT, [3, 2])],
    output: [value('sum', FLOAT), value('partial', FLOAT)],
  });

  it('scans forward and stacks along axis 0', async () => {
    const out = await run(scan9([]), 11, { s0: f32([0, 0], [2]), x });
    expect(values(out.sum)).toEqual([111, 222]);
    expect(values(out.partial)).toEqual([1, 2, 11, 22, 111, 222]);
  });

  it('honours reverse input direction and a non-zero output axis', async () => {
    const out = await run(
      scan9([intsAttr('scan_input_directions', [1]), intsAttr('scan_output_axes', [1])]),
      11,
      {
        s0: f32([0, 0], [2]),
        x,
      },
    );
    // Rows are visited 2, 1, 0; partial sums are stacked as columns.
    expect(out.partial.dims).toEqual([2, 3]);
    expect(values(out.partial)).toEqual([100, 110, 111, 200, 220, 222]);
  });

  it('places iteration k at the end when the output direction is reversed', async () => {
    const out = await run(scan9([intsAttr('scan_output_directions', [1])]), 11, { s0: f32([0, 0], [2]), x });
    expect(values(out.partial)).toEqual([111, 222, 11, 22, 1, 2]);
  });

  it('Scan-8: batches on axis 0, honours sequence_lens and zero-pads shorter sequences', async () => {
    const graph = {
      name: 'scan8',
      node: [
        node(
          'Scan',
          ['lens', 's0', 'x'],
          ['sum', 'partial'],
          [graphAttr('body', body), intAttr('num_scan_inputs', 1)],
        ),
      ],
      input: [value('lens', 6, [2]), value('s0', FLOAT, [2, 2]), value('x', FLOAT, [2, 3, 2])],
      output: [value('sum', FLOAT), value('partial', FLOAT)],
    };
    const out = await run(graph, 8, {
      lens: new Tensor('int32', [3, 1], [2]),
      s0: f32([0, 0, 5, 5], [2, 2]),
      x: f32([1, 2, 10, 20, 100, 200, 1, 1, 2, 2, 3, 3], [2, 3, 2]),
    });
    expect(values(out.sum)).toEqual([111, 222, 6, 6]);
    expect(out.partial.dims).toEqual([2, 3, 2]);
    expect(values(out.partial)).toEqual([1, 2, 11, 22, 111, 222, 6, 6, 0, 0, 0, 0]);
  });

  it('rejects scan inputs of different lengths', async () => {
    const graph = {
      name: 'bad',
      node: [
        node(
          'Scan',
          ['a', 'b'],
          ['y'],
          [
            graphAttr('body', {
              node: [node('Add', ['p', 'q'], ['r'])],
              input: [value('p'), value('q')],
              output: [value('r')],
            }),
            intAttr('num_scan_inputs', 2),
          ],
        ),
      ],
      input: [value('a', FLOAT, [3]), value('b', FLOAT, [2])],
      output: [value('y', FLOAT)],
    };
    await expect(run(graph, 11, { a: f32([1, 2, 3], [3]), b: f32([1, 2], [2]) })).rejects.toThrow(
      /scan inputs differ in sequence length: 3 and 2/,
    );
  });
});
