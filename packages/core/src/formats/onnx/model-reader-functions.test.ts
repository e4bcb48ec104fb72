/**
 * The ONNX reader's handling of model-local functions (inlined at load) and of TYPE_PROTO
 * attributes (left out, so the model stays readable).
 */
import { describe, expect, it } from 'vitest';
import { MemoryFiles } from '../../files/model-files.js';
import { InferenceSession } from '../../session/inference-session.js';
import { Tensor } from '../../tensor/tensor.js';
import { readOnnxModel } from './model-reader.js';
import { ModelProto } from './schema.js';

const FLOAT = 1;
const value = (name: string) => ({
  name,
  type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_value: 2 }] } } },
});

/** y = a + alpha * b, alpha an attribute of the call (default 2). */
const addScaled = {
  name: 'AddScaled',
  domain: 'custom',
  input: ['a', 'b'],
  output: ['y'],
  attribute_proto: [{ name: 'alpha', type: 1, f: 2 }],
  opset_import: [{ domain: '', version: 17 }],
  node: [
    {
      op_type: 'Constant',
      output: ['k'],
      attribute: [{ name: 'value_float', type: 1, ref_attr_name: 'alpha' }],
    },
    { op_type: 'Mul', input: ['b', 'k'], output: ['scaled'] },
    { op_type: 'Add', input: ['a', 'scaled'], output: ['y'] },
  ],
};

/** z = AddScaled(AddScaled(p, q, alpha=10), q): a function calling a function. */
const nested = {
  name: 'Nested',
  domain: 'custom',
  input: ['p', 'q'],
  output: ['z'],
  node: [
    {
      op_type: 'AddScaled',
      domain: 'custom',
      input: ['p', 'q'],
      output: ['mid'],
      attribute: [{ name: 'alpha', type: 1, f: 10 }],
    },
    { op_type: 'AddScaled', domain: 'custom', input: ['mid', 'q'], output: ['z'] },
  ],
};

function model(graph: object): Uint8Array {
  return ModelProto.encode(
    ModelProto.fromObject({
      ir_version: 10,
      opset_import: [
        { domain: '', version: 17 },
        { domain: 'custom', version: 1 },
      ],
      graph,
      functions: [addScaled, nested],
    }),
  ).finish();
}

const graph = {
  name: 'g',
  node: [
    {
      op_type: 'AddScaled',
      domain: 'custom',
      name: 'first',
      input: ['x', 'w'],
      output: ['y1'],
      attribute: [{ name: 'alpha', type: 1, f: 0.5 }],
    },
    { op_type: 'AddScaled', domain: 'custom', input: ['x', 'w'], output: ['y2'] },
    { op_type: 'Nested', domain: 'custom', input: ['x', 'w'], output: ['y3'] },
    // A TYPE_PROTO attribute (as Optional's `type`) on an operator that ignores it.
    {
      op_type: 'Identity',
      input: ['x'],
      output: ['y4'],
      attribute: [{ name: 'type', type: 13, tp: { tensor_type: { elem_type: FLOAT } } }],
    },
  ],
  input: [value('x'), value('w')],
  output: [value('y1'), value('y2'), value('y3'), value('y4')],
};

describe('model-local functions', () => {
  it('are inlined with the caller’s values, attributes and defaults, nested calls included', async () => {
    const session = await InferenceSession.create(model(graph));
    const out = await session.run({
      x: new Tensor('float32', [1, 2], [2]),
      w: new Tensor('float32', [4, 8], [2]),
    });
    expect(Array.from(out.y1.data as Float32Array)).toEqual([3, 6]); // alpha 0.5
    expect(Array.from(out.y2.data as Float32Array)).toEqual([9, 18]); // default alpha 2
    expect(Array.from(out.y3.data as Float32Array)).toEqual([49, 98]); // (x + 10w) + 2w
    expect(Array.from(out.y4.data as Float32Array)).toEqual([1, 2]);
    await session.release();
  });

  it('give every call its own internal value names', async () => {
    const g = await readOnnxModel(new MemoryFiles([['m.onnx', model(graph)]]), 'm.onnx');
    expect(g.nodes.some((n) => n.domain === 'custom')).toBe(false);
    const produced = g.nodes.flatMap((n) => n.outputs);
    expect(new Set(produced).size).toBe(produced.length);
    // 1 + 1 + 2 calls of AddScaled, 3 nodes each, and the Identity.
    expect(g.nodes.length).toBe(13);
    expect(g.nodes[0].name).toBe('first/Constant_0');
    // A type-describing (TYPE_PROTO) attribute is kept as the value type it describes.
    expect(g.nodes.find((n) => n.opType === 'Identity')?.attributes.get('type')?.type).toBe('typeProto');
  });

  it('are inlined inside subgraphs too', async () => {
    const withIf = {
      name: 'g',
      node: [
        {
          op_type: 'If',
          input: ['c'],
          output: ['y'],
          attribute: [
            {
              name: 'then_branch',
              type: 5,
              g: {
                node: [{ op_type: 'AddScaled', domain: 'custom', input: ['x', 'x'], output: ['t'] }],
                output: [value('t')],
              },
            },
            {
              name: 'else_branch',
              type: 5,
              g: { node: [{ op_type: 'Identity', input: ['x'], output: ['e'] }], output: [value('e')] },
            },
          ],
        },
      ],
      input: [{ name: 'c', type: { tensor_type: { elem_type: 9, shape: { dim: [] } } } }, value('x')],
      output: [value('y')],
    };
    const session = await InferenceSession.create(model(withIf));
    const out = await session.run({ c: new Tensor('bool', [1], []), x: new Tensor('float32', [1, 2], [2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([3, 6]);
    await session.release();
  });
});
