import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';
import { testdata } from '../src/testing/index.js';

const ramp = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => ((i % 13) - 6) * scale);

/** Conv -> Sigmoid -> Mul (SiLU), Add -> Relu, and a bare x * sigmoid(x). */
const { model } = encodeOnnxModel({
  inputs: [{ name: 'x', type: 'float32', dims: [1, 2, 5, 5] }],
  outputs: [{ name: 'y', type: 'float32' }],
  nodes: [
    {
      op: 'Conv',
      name: 'conv',
      inputs: ['x', 'w', 'b'],
      outputs: ['c'],
      attrs: { pads: { ints: [1, 1, 1, 1] } },
    },
    { op: 'Sigmoid', name: 'sig', inputs: ['c'], outputs: ['cs'] },
    { op: 'Mul', name: 'silu', inputs: ['cs', 'c'], outputs: ['h'] },
    { op: 'Add', name: 'add', inputs: ['h', 'x'], outputs: ['r'] },
    { op: 'Relu', name: 'relu', inputs: ['r'], outputs: ['g'] },
    { op: 'Sigmoid', name: 'sig2', inputs: ['g'], outputs: ['gs'] },
    { op: 'Mul', name: 'silu2', inputs: ['g', 'gs'], outputs: ['y'] },
  ],
  initializers: {
    w: new Tensor('float32', ramp(2 * 2 * 9, 0.05), [2, 2, 3, 3]),
    b: new Tensor('float32', [0.1, -0.2], [2]),
  },
});

describe('operator fusion', () => {
  const x = new Tensor('float32', ramp(50, 0.3), [1, 2, 5, 5]);

  it('fuses conv+silu, add+relu and x*sigmoid(x), with the same results as unfused', async () => {
    const fused = await InferenceSession.create(model);
    const plain = await InferenceSession.create(model, { fuseOperators: false });
    const plan = await fused.plan(new Map([['x', x]]));
    expect(plan.steps.map((s) => `${s.node.opType}:${s.node.name}`)).toEqual([
      'FusedConv:conv',
      'FusedAdd:add',
      'Silu:silu2',
    ]);
    expect(plan.steps[0].attrs.string('activation')).toBe('silu');
    expect(plan.steps[1].attrs.string('activation')).toBe('relu');
    expect((await plain.plan(new Map([['x', x]]))).steps).toHaveLength(7);
    const a = (await fused.run({ x })).y.data as Float32Array;
    const b = (await plain.run({ x })).y.data as Float32Array;
    for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
  });

  it('keeps an intermediate someone asks for', async () => {
    const s = await InferenceSession.create(model);
    const out = await s.run({ x }, { outputs: ['c', 'y'] });
    const plan = await s.plan(new Map([['x', x]]), ['c', 'y']);
    expect(plan.steps.map((st) => st.node.opType)).toEqual(['Conv', 'Silu', 'FusedAdd', 'Silu']);
    expect(out.c.dims).toEqual([1, 2, 5, 5]);
  });

  it('leaves YOLOv8n with 119 steps: 57 conv+SiLU fused', async () => {
    const s = await InferenceSession.create(testdata('yolov8n-onnxstream'));
    const plan = await s.plan(
      new Map([['images', new Tensor('float32', new Float32Array(3 * 640 * 640), [1, 3, 640, 640])]]),
    );
    const count = (t: string) => plan.steps.filter((st) => st.node.opType === t).length;
    expect([plan.steps.length, count('FusedConv'), count('Conv'), count('Sigmoid'), count('Mul')]).toEqual([
      119, 57, 7, 1, 1,
    ]);
    await s.release();
  });
});
