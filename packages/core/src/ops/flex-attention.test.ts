/**
 * FlexAttention's modifier subgraphs, run through a stand-in subgraph runner: what they receive
 * (the whole score or probability tensor, typed by softmax_precision), how their results are used,
 * and the error for a result of the wrong shape.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import type { DataType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { isTensor, type Value } from '../tensor/value.js';
import { FlexAttention } from './flex-attention.js';
import { type AttrInput, callTensorKernel } from './support/kernel-call.js';

/** A modifier subgraph: one input, one output (the stand-in runner supplies the computation). */
const modifier: Graph = {
  name: 'mod',
  nodes: [],
  inputs: [{ name: 'x' }],
  outputs: [{ name: 'y' }],
  valueInfo: new Map(),
  weights: new Map(),
  constants: new Map(),
  opsets: new Map([['', 26]]),
  format: 'onnx',
};

// One query [1, 0] against keys [1, 0] and [0, 1] with values 10 and 20: scores [1/sqrt(2), 0].
function inputs(type: DataType): Tensor[] {
  const t = (v: number[], dims: number[]) => new Tensor(type, encodeNumbers(type, v) as never, dims);
  return [t([1, 0], [1, 1, 1, 2]), t([1, 0, 0, 1], [1, 1, 2, 2]), t([10, 20], [1, 1, 2, 1])];
}
const p0 = Math.exp(Math.SQRT1_2) / (Math.exp(Math.SQRT1_2) + 1);

/** Runs FlexAttention with `mod` standing in for every modifier subgraph; records what it received. */
async function run(type: DataType, attrs: Record<string, AttrInput>, mod: (v: Float64Array) => number[]) {
  const seen: Tensor[] = [];
  const runSubgraph = async (_g: Graph, feeds: ReadonlyMap<string, Value>): Promise<Value[]> => {
    const x = feeds.get('x');
    if (!isTensor(x)) throw new Error('expected a tensor feed');
    seen.push(x);
    const out = mod(Float64Array.from(asNumbers(x)));
    return [
      new Tensor(x.type, encodeNumbers(x.type, out) as never, out.length === x.size ? x.dims : [out.length]),
    ];
  };
  const [y] = await callTensorKernel(FlexAttention, inputs(type), attrs, { runSubgraph });
  return { y: Array.from(asNumbers(y)), seen };
}

describe('FlexAttention modifiers', () => {
  it('score_mod sees the scaled scores (float32 for float16 inputs) and can mask keys', async () => {
    const { y, seen } = await run('float16', { score_mod: modifier }, (s) => [
      s[0],
      Number.NEGATIVE_INFINITY,
    ]);
    expect(seen.map((t) => [t.type, t.dims])).toEqual([['float32', [1, 1, 1, 2]]]);
    expect(Array.from(asNumbers(seen[0]))[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(y).toEqual([10]);
  });

  it('prob_mod sees the softmax and its result weighs V (double inputs keep double)', async () => {
    const { y, seen } = await run('float64', { prob_mod: modifier }, (p) => Array.from(p, (v) => 2 * v));
    expect(seen[0].type).toBe('float64');
    expect(Array.from(asNumbers(seen[0]))[0]).toBeCloseTo(p0, 12);
    expect(y[0]).toBeCloseTo(2 * (10 * p0 + 20 * (1 - p0)), 10);
  });

  it('softmax_precision chooses the modifiers’ type; scale replaces 1/sqrt(E)', async () => {
    const { y, seen } = await run('float32', { score_mod: modifier, softmax_precision: 11, scale: 2 }, (s) =>
      Array.from(s),
    );
    expect(seen[0].type).toBe('float64');
    expect(Array.from(asNumbers(seen[0]))).toEqual([2, 0]);
    const e2 = Math.exp(2);
    expect(y[0]).toBeCloseTo((10 * e2 + 20) / (e2 + 1), 4);
  });

  it('identity modifiers give the blocked path’s result (grouped query heads)', async () => {
    const t = (dims: number[], seed: number) =>
      new Tensor(
        'float32',
        Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => Math.sin(seed + i * 0.37)),
        dims,
      );
    const qkv = [t([2, 4, 3, 5], 1), t([2, 2, 6, 5], 2), t([2, 2, 6, 3], 3)];
    const identity = async (_g: Graph, feeds: ReadonlyMap<string, Value>) => [feeds.get('x')!];
    const [plain] = await callTensorKernel(FlexAttention, qkv);
    const [modded] = await callTensorKernel(
      FlexAttention,
      qkv,
      { score_mod: modifier, prob_mod: modifier, softmax_precision: 11 },
      { runSubgraph: identity },
    );
    expect(plain.dims).toEqual([2, 4, 3, 3]);
    const want = Array.from(asNumbers(plain));
    for (const [i, v] of Array.from(asNumbers(modded)).entries()) expect(v).toBeCloseTo(want[i], 6);
  });

  it('rejects a modifier result of another shape', async () => {
    await expect(run('float32', { score_mod: modifier }, (s) => [s[0]])).rejects.toThrow(
      /score_mod must return a float32 tensor of shape \[1,1,1,2\]/,
    );
  });
});
