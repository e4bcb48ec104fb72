import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type Tensor as CoreTensor, InferenceSession, Tensor } from '../src/index.js';
import { encodeOnnxModel, type OnnxNodeSpec } from '../src/onnx.js';
import { closeness } from '../src/testing/index.js';

let seed = 11;
const random = (dims: number[]) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed / 2 ** 32 - 0.5) * 4;
    }),
    dims,
  );

interface Case {
  nodes: OnnxNodeSpec[];
  feeds: Record<string, CoreTensor>;
  opset?: number;
  initializers?: Record<string, CoreTensor>;
}

function model(c: Case): Uint8Array {
  return encodeOnnxModel({
    inputs: Object.entries(c.feeds).map(([name, t]) => ({ name, type: 'float32', dims: t.dims })),
    outputs: [{ name: 'y', type: 'float32' }],
    nodes: c.nodes,
    initializers: c.initializers,
    opset: c.opset ?? 17,
  }).model;
}

async function onnxruntime(c: Case): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model(c));
  const feeds = Object.fromEntries(
    Object.entries(c.feeds).map(([n, t]) => [n, new ort.Tensor('float32', t.data as Float32Array, t.dims)]),
  );
  return (await s.run(feeds)).y.data as Float32Array;
}

/** Output, the operators run and peak tensor bytes. */
async function ours(c: Case, options: { fuseAttention?: boolean; attentionSlices?: number } = {}) {
  const s = await InferenceSession.create(model(c), { backend: 'reference', ...options });
  const { y } = await s.run(c.feeds);
  const plan = await s.plan(new Map(Object.entries(c.feeds)));
  return {
    y: y.data as Float32Array,
    ops: plan.steps.map((step) => step.node.opType),
    peak: s.lastRunStats!.peakTensorBytes,
  };
}

const scale = (v: number) => ({ s: new Tensor('float32', [v], []) });

// torch's export of diffusers attention: (batch*heads, tokens, head dim), K transposed in the graph.
const torchStyle: Case = {
  feeds: { q: random([2, 64, 8]), k: random([2, 48, 8]), v: random([2, 48, 8]) },
  initializers: scale(0.35),
  nodes: [
    { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: { ints: [0, 2, 1] } } },
    { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['scores'] },
    { op: 'Mul', inputs: ['scores', 's'], outputs: ['scaled'] },
    { op: 'Softmax', inputs: ['scaled'], outputs: ['p'], attrs: { axis: { i: -1 } } },
    { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
  ],
};

// 4-D heads with an additive mask and a division by sqrt(d): scaled dot-product attention.
const masked: Case = {
  feeds: {
    q: random([1, 2, 40, 8]),
    k: random([1, 2, 24, 8]),
    v: random([1, 2, 24, 6]),
    mask: random([40, 24]),
  },
  initializers: scale(Math.sqrt(8)),
  nodes: [
    { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: { ints: [0, 1, 3, 2] } } },
    { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['scores'] },
    { op: 'Div', inputs: ['scores', 's'], outputs: ['scaled'] },
    { op: 'Add', inputs: ['scaled', 'mask'], outputs: ['biased'] },
    { op: 'Softmax', inputs: ['biased'], outputs: ['p'], attrs: { axis: { i: 3 } } },
    { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
  ],
};

describe('attention fusion', () => {
  it('fuses the torch-style chain into AttentionFusedOps, matching onnxruntime with less memory', async () => {
    const expected = await onnxruntime(torchStyle);
    const fused = await ours(torchStyle);
    const plain = await ours(torchStyle, { fuseAttention: false });
    expect(fused.ops).toEqual(['Transpose', 'AttentionFusedOps']);
    expect(plain.ops).toEqual(['Transpose', 'MatMul', 'Mul', 'Softmax', 'MatMul']);
    expect(closeness(fused.y, expected, 1e-5, 1e-6)).toBeUndefined();
    expect(closeness(plain.y, expected, 1e-5, 1e-6)).toBeUndefined();
    // Unfused, the 2x64x48 scores are stored (twice, scaled and softmaxed, while both are live).
    expect(plain.peak - fused.peak).toBeGreaterThanOrEqual(2 * 64 * 48 * 4);
  });

  it('fuses the masked 4-D chain into ScaledDotProductAttention on K itself (no Transpose)', async () => {
    const expected = await onnxruntime(masked);
    const fused = await ours(masked);
    expect(fused.ops).toEqual(['ScaledDotProductAttention']);
    expect(closeness(fused.y, expected, 1e-5, 1e-6)).toBeUndefined();
  });

  it("computes OnnxStream's attention slices (raised to a divisor of the rows) with the same result", async () => {
    const expected = await onnxruntime(torchStyle);
    // 64 rows: 3 slices become 4 of 16 rows.
    for (const slices of [1, 3, 64]) {
      expect(
        closeness((await ours(torchStyle, { attentionSlices: slices })).y, expected, 1e-5, 1e-6),
      ).toBeUndefined();
    }
    await expect(ours(torchStyle, { attentionSlices: 65 })).rejects.toThrow(/slices must be in 0\.\.64/);
    await expect(ours(torchStyle, { attentionSlices: -1 })).rejects.toThrow(
      /attentionSlices must be an integer/,
    );
  });

  it('leaves chains alone that are not attention', async () => {
    // Before opset 13 Softmax's default axis is 1 with the axes after it flattened: not per row.
    const old: Case = {
      ...torchStyle,
      opset: 11,
      nodes: torchStyle.nodes.map((n) => (n.op === 'Softmax' ? { ...n, attrs: {} } : n)),
    };
    const r = await ours(old);
    expect(r.ops).toContain('Softmax');
    expect(closeness(r.y, await onnxruntime(old), 1e-5, 1e-6)).toBeUndefined();
    // An intermediate that is also read elsewhere must be kept.
    const shared: Case = {
      ...torchStyle,
      nodes: [
        ...torchStyle.nodes.slice(0, 4),
        { op: 'MatMul', inputs: ['p', 'v'], outputs: ['pv'] },
        { op: 'Add', inputs: ['pv', 'p'], outputs: ['y'] },
      ],
      feeds: { q: random([2, 48, 8]), k: random([2, 48, 8]), v: random([2, 48, 48]) },
    };
    const s = await ours(shared);
    expect(s.ops).toContain('Softmax');
    expect(closeness(s.y, await onnxruntime(shared), 1e-5, 1e-6)).toBeUndefined();
  });
});
