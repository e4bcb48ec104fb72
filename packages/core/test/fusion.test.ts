import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';
import { closeness, testdata } from '../src/testing/index.js';

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

/** The unfused graph's output `y` and onnxruntime's are within 4 ulp of `y` (onnxruntime's: plus `ortAtol`). */
async function expectUnfusedAndOrtValues(
  model: Uint8Array,
  feeds: Record<string, Tensor>,
  y: Tensor,
  ortAtol: number,
): Promise<void> {
  const plain = await InferenceSession.create(model, { fuseOperators: false });
  const b = (await plain.run(feeds)).y.data as Float32Array;
  expect(closeness(y.data as Float32Array, b, 4 * 2 ** -24, 2e-7)).toBeUndefined();
  const ort = await import('onnxruntime-node');
  const o = await ort.InferenceSession.create(model);
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.dims)]),
  );
  const r = (await o.run(ortFeeds)).y.data as Float32Array;
  expect(closeness(y.data as Float32Array, r, 4 * 2 ** -24, ortAtol)).toBeUndefined();
}

/** The operators of the GEGLU test graph, as a fused node lists them. */
const GEGLU_CHAIN = ['split', 'div', 'erf', 'add', 'mul', 'mul_1', 'mul_2'];

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

  describe('GELU chains of torch exports', () => {
    const scalar = (v: number) => new Tensor('float32', [v], []);
    /** gelu(x) as Div|Mul -> Erf -> Add(1), then the form `tail`, then Neg (a reader of the result). */
    const gelu = (scale: 'div' | 'mul', tail: 'mul-x-first' | 'half-first') =>
      encodeOnnxModel({
        inputs: [{ name: 'x', type: 'float32', dims: [3, 7] }],
        outputs: [{ name: 'y', type: 'float32' }],
        nodes: [
          scale === 'div'
            ? { op: 'Div', name: 'scale', inputs: ['x', 'sqrt2'], outputs: ['d'] }
            : { op: 'Mul', name: 'scale', inputs: ['inv_sqrt2', 'x'], outputs: ['d'] },
          { op: 'Erf', name: 'erf', inputs: ['d'], outputs: ['e'] },
          { op: 'Add', name: 'add', inputs: ['one', 'e'], outputs: ['a'] },
          ...(tail === 'mul-x-first'
            ? [
                { op: 'Mul', name: 'mul', inputs: ['x', 'a'], outputs: ['m'] },
                { op: 'Mul', name: 'half', inputs: ['m', 'half'], outputs: ['g'] },
              ]
            : [
                { op: 'Mul', name: 'half', inputs: ['x', 'half'], outputs: ['h'] },
                { op: 'Mul', name: 'mul', inputs: ['h', 'a'], outputs: ['g'] },
              ]),
          { op: 'Neg', name: 'neg', inputs: ['g'], outputs: ['y'] },
        ],
        initializers: {
          sqrt2: scalar(Math.SQRT2),
          inv_sqrt2: scalar(Math.SQRT1_2),
          one: scalar(1),
          half: scalar(0.5),
        },
      }).model;
    const x = new Tensor('float32', ramp(21, 0.7), [3, 7]);

    it.each([
      ['div', 'mul-x-first'],
      ['mul', 'half-first'],
    ] as const)('fuses %s + %s into one Gelu with the unfused values', async (scale, tail) => {
      const model = gelu(scale, tail);
      const fused = await InferenceSession.create(model);
      const plan = await fused.plan(new Map([['x', x]]));
      expect(plan.steps.map((st) => `${st.node.domain}:${st.node.opType}`)).toEqual([
        'com.onnxstream:Gelu',
        ':Neg',
      ]);
      const plain = await InferenceSession.create(model, { fuseOperators: false });
      const a = (await fused.run({ x })).y.data as Float32Array;
      const b = (await plain.run({ x })).y.data as Float32Array;
      // The unfused chain rounds four intermediates to float32: 1 + erf is off by up to 2^-24 where it
      // cancels (x down to -4.2), which x/2 scales to 1.3e-7.
      expect(closeness(a, b, 4 * 2 ** -24, 1.3e-7)).toBeUndefined();
      // gelu(-4.2) = -4.2/2 erfc(2.97) = -5.6052e-5 and gelu(4.2) = 4.2 + gelu(-4.2) (from math.erf in float64).
      expect(a[0]).toBeCloseTo(5.6052e-5, 8);
      expect(a[12]).toBeCloseTo(-4.199944, 6);
    });

    it('leaves a chain alone when its middle is asked for', async () => {
      const s = await InferenceSession.create(gelu('div', 'mul-x-first'));
      const asked = await s.plan(new Map([['x', x]]), ['e', 'y']);
      expect(asked.steps.map((st) => st.node.opType)).toEqual(['Div', 'Erf', 'Add', 'Mul', 'Mul', 'Neg']);
    });
  });

  describe("diffusers' GEGLU", () => {
    const scalar = (v: number) => new Tensor('float32', [v], []);
    /** x (2, 5, 12) -> Split last axis [6, 6] -> h, gate; torch's erf GELU on gate; h * gelu -> y. */
    const gegluSpec = {
      inputs: [{ name: 'x', type: 'float32' as const, dims: [2, 5, 12] }],
      outputs: [{ name: 'y', type: 'float32' as const }],
      nodes: [
        {
          op: 'Split',
          name: 'split',
          inputs: ['x', 'sizes'],
          outputs: ['h', 'gate'],
          attrs: { axis: { i: -1 } },
        },
        { op: 'Div', name: 'div', inputs: ['gate', 'sqrt2'], outputs: ['d'] },
        { op: 'Erf', name: 'erf', inputs: ['d'], outputs: ['e'] },
        { op: 'Add', name: 'add', inputs: ['e', 'one'], outputs: ['a'] },
        { op: 'Mul', name: 'mul', inputs: ['gate', 'a'], outputs: ['m'] },
        { op: 'Mul', name: 'mul_1', inputs: ['m', 'half'], outputs: ['g'] },
        { op: 'Mul', name: 'mul_2', inputs: ['h', 'g'], outputs: ['y'] },
      ],
      initializers: {
        sizes: new Tensor('int64', BigInt64Array.of(6n, 6n), [2]),
        sqrt2: scalar(Math.SQRT2),
        one: scalar(1),
        half: scalar(0.5),
      },
    };
    const geglu = encodeOnnxModel(gegluSpec).model;
    const x = new Tensor('float32', ramp(120, 0.45), [2, 5, 12]);

    it('runs Split, GELU and Mul as one Geglu with the values of the unfused graph and of onnxruntime', async () => {
      const fused = await InferenceSession.create(geglu);
      const plan = await fused.plan(new Map([['x', x]]));
      expect(plan.steps.map((st) => `${st.node.domain}:${st.node.opType}`)).toEqual(['com.onnxstream:Geglu']);
      expect(plan.steps[0].node.attributes.get('fused_names')?.value).toEqual(GEGLU_CHAIN);
      const y = (await fused.run({ x })).y;
      expect(y.dims).toEqual([2, 5, 6]);
      await expectUnfusedAndOrtValues(geglu, { x }, y, 2e-7);
    });

    it('leaves the split alone when a half is asked for', async () => {
      const s = await InferenceSession.create(geglu);
      const asked = await s.plan(new Map([['x', x]]), ['h', 'y']);
      expect(asked.steps.map((st) => st.node.opType)).toEqual(['Split', 'Gelu', 'Mul']);
    });

    /**
     * The same GEGLU after its projection: x (2, 5, 4) . w (4, 12) + b (12) -> GEGLU -> y (2, 5, 6);
     * with `output`, the whole feed-forward: the gated (2, 5, 6) . w2 (6, 3) [+ c (3)] -> y (2, 5, 3).
     */
    const projected = (bias: boolean, output?: { bias: boolean }) =>
      encodeOnnxModel({
        inputs: [{ name: 'p', type: 'float32', dims: [2, 5, 4] }],
        outputs: [{ name: 'y', type: 'float32' }],
        nodes: [
          { op: 'MatMul', name: 'proj', inputs: ['p', 'w'], outputs: [bias ? 'pw' : 'x'] },
          // diffusers' export adds the bias first.
          ...(bias ? [{ op: 'Add', name: 'proj_bias', inputs: ['b', 'pw'], outputs: ['x'] }] : []),
          ...gegluSpec.nodes.map((n) => (output && n.outputs[0] === 'y' ? { ...n, outputs: ['gated'] } : n)),
          ...(output
            ? [{ op: 'MatMul', name: 'out', inputs: ['gated', 'w2'], outputs: [output.bias ? 'ow' : 'y'] }]
            : []),
          ...(output?.bias ? [{ op: 'Add', name: 'out_bias', inputs: ['c', 'ow'], outputs: ['y'] }] : []),
        ],
        initializers: {
          ...gegluSpec.initializers,
          w: new Tensor('float32', ramp(48, 0.11), [4, 12]),
          ...(bias ? { b: new Tensor('float32', ramp(12, 0.07), [12]) } : {}),
          ...(output ? { w2: new Tensor('float32', ramp(18, 0.23), [6, 3]) } : {}),
          ...(output?.bias ? { c: new Tensor('float32', ramp(3, 0.19), [3]) } : {}),
        },
      }).model;
    const p = new Tensor('float32', ramp(40, 0.3), [2, 5, 4]);

    it.each([true, false])(
      'runs the projection (bias %s) and GEGLU as one MatMulGeglu with the values of the unfused graph and of onnxruntime',
      async (bias) => {
        const model = projected(bias);
        const fused = await InferenceSession.create(model);
        const plan = await fused.plan(new Map([['p', p]]));
        expect(plan.steps.map((st) => `${st.node.domain}:${st.node.opType}`)).toEqual([
          'com.onnxstream:MatMulGeglu',
        ]);
        expect(plan.steps[0].node.inputs).toEqual(bias ? ['p', 'w', 'b'] : ['p', 'w']);
        expect(plan.steps[0].node.attributes.get('fused_names')?.value).toEqual([
          'proj',
          ...(bias ? ['proj_bias'] : []),
          ...GEGLU_CHAIN,
        ]);
        const y = (await fused.run({ p })).y;
        expect(y.dims).toEqual([2, 5, 6]);
        await expectUnfusedAndOrtValues(model, { p }, y, 2e-6);
      },
    );

    const feedForward = (bias: boolean, outBias: boolean) => projected(bias, { bias: outBias });

    it.each([
      [true, true],
      [false, true],
      [true, false],
    ])(
      'runs the feed-forward (projection bias %s, output bias %s) as one MatMulGeglu with the values of the unfused graph and of onnxruntime',
      async (bias, outBias) => {
        const model = feedForward(bias, outBias);
        const fused = await InferenceSession.create(model);
        const plan = await fused.plan(new Map([['p', p]]));
        expect(plan.steps.map((st) => `${st.node.domain}:${st.node.opType}`)).toEqual([
          'com.onnxstream:MatMulGeglu',
        ]);
        expect(plan.steps[0].node.inputs).toEqual([
          'p',
          'w',
          bias ? 'b' : '',
          'w2',
          ...(outBias ? ['c'] : []),
        ]);
        expect(plan.steps[0].node.outputs).toEqual(['y']);
        expect(plan.steps[0].node.attributes.get('fused_names')?.value).toEqual([
          'proj',
          ...(bias ? ['proj_bias'] : []),
          ...GEGLU_CHAIN,
          'out',
          ...(outBias ? ['out_bias'] : []),
        ]);
        const y = (await fused.run({ p })).y;
        expect(y.dims).toEqual([2, 5, 3]);
        await expectUnfusedAndOrtValues(model, { p }, y, 2e-6);
      },
    );

    it('leaves the output layer alone when the gated activation or its product is asked for', async () => {
      const s = await InferenceSession.create(feedForward(true, true));
      const gated = await s.plan(new Map([['p', p]]), ['gated', 'y']);
      expect(gated.steps.map((st) => st.node.opType)).toEqual(['MatMulGeglu', 'MatMul', 'Add']);
      const product = await s.plan(new Map([['p', p]]), ['ow', 'y']);
      expect(product.steps.map((st) => st.node.opType)).toEqual(['MatMulGeglu', 'Add']);
      expect(product.steps[0].node.inputs).toEqual(['p', 'w', 'b', 'w2']);
    });

    it('leaves the projection alone when it is asked for or its weight is a run-time input', async () => {
      const s = await InferenceSession.create(projected(true));
      const asked = await s.plan(new Map([['p', p]]), ['pw', 'y']);
      expect(asked.steps.map((st) => st.node.opType)).toEqual(['MatMul', 'Add', 'Geglu']);
      const fed = await s.plan(
        new Map([
          ['p', p],
          ['w', new Tensor('float32', ramp(48, 0.11), [4, 12])],
        ]),
      );
      expect(fed.steps.map((st) => st.node.opType)).toEqual(['MatMul', 'Add', 'Geglu']);
    });
  });
});
