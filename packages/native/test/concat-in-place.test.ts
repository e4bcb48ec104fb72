import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel, type OnnxNodeSpec } from '@onnxstream/core/onnx';
import { closeness } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { random, tensor } from './helpers.js';

const S = 16; // planes of S x S floats
const PLANE = S * S * 4;

const conv = (name: string, x: string, w: string, y: string, pad = 0): OnnxNodeSpec => ({
  op: 'Conv',
  name,
  inputs: [x, w],
  outputs: [y],
  attrs: pad ? { pads: { ints: [pad, pad, pad, pad] } } : {},
});
const weight = (m: number, c: number, k: number, seed: number) =>
  new Tensor('float32', random(m * c * k * k, seed, -0.5, 0.5), [m, c, k, k]);

async function runBoth(model: Uint8Array, x: Tensor) {
  const runs = [];
  for (const concatInPlace of [true, false]) {
    const s = await InferenceSession.create(model, { backend: 'native', threads: 2, concatInPlace });
    const plan = await s.plan(new Map([['x', x]]));
    const placed = [...plan.placements.keys()].map((id) => plan.valueNames[id]).sort();
    const y = (await s.run({ x })).y;
    runs.push({ y, placed, peak: s.lastRunStats!.peakTensorBytes });
  }
  const reference = await InferenceSession.create(model, { backend: 'reference' });
  return { on: runs[0], off: runs[1], expected: (await reference.run({ x })).y };
}

/** In place or not, the same bits; and the reference backend's values. */
function expectSameOutput(on: Tensor, off: Tensor, expected: Tensor) {
  expect(Array.from(on.data as Float32Array)).toEqual(Array.from(off.data as Float32Array));
  expect(closeness(on.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-5)).toBeUndefined();
}

describe('Concat inputs computed in place', () => {
  it('a C2f block (Conv -> Split -> Conv + Add -> Concat) copies nothing and lowers the peak', async () => {
    // x (8 planes) -> cv1 1x1 (8) -> Split (4, 4: views) -> 3x3 conv of the second half, added to it
    // -> Concat (both halves, the sum: 12) -> cv2 1x1 (8). Copying, the Concat step holds cv1's 8
    // planes, the sum's 4 and its 12 (24); in place, 12, and the peak is cv2's step (12 + 8). Each
    // peak also counts the weights held then: the running step's and the next one's (cv2's, 96 floats).
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 8, S, S] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { w1: weight(8, 8, 1, 1), wm: weight(4, 4, 3, 2), w2: weight(8, 12, 1, 3) },
      nodes: [
        conv('cv1', 'x', 'w1', 'x1'),
        { op: 'Split', name: 'split', inputs: ['x1'], outputs: ['a', 'b'], attrs: { axis: { i: 1 } } },
        conv('m', 'b', 'wm', 't', 1),
        { op: 'Add', name: 'add', inputs: ['b', 't'], outputs: ['sum'] },
        { op: 'Concat', name: 'cat', inputs: ['a', 'b', 'sum'], outputs: ['c'], attrs: { axis: { i: 1 } } },
        conv('cv2', 'c', 'w2', 'y'),
      ],
    });
    const x = tensor([1, 8, S, S], 7);
    const { on, off, expected } = await runBoth(model, x);
    // The Split's input goes where its two halves go; the sum after them.
    expect(on.placed).toEqual(['sum', 'x1']);
    expect(off.placed).toEqual([]);
    expect(off.peak).toBe(24 * PLANE + 96 * 4);
    expect(on.peak).toBe(20 * PLANE + 96 * 4);
    expectSameOutput(on.y, off.y, expected);
  });

  it('an SPPF block (three MaxPools of one Conv, all concatenated) runs in place', async () => {
    const pool = (name: string, x: string, y: string) => ({
      op: 'MaxPool',
      name,
      inputs: [x],
      outputs: [y],
      attrs: { kernel_shape: { ints: [5, 5] }, pads: { ints: [2, 2, 2, 2] } },
    });
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 8, S, S] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { w1: weight(4, 8, 1, 4), w2: weight(8, 16, 1, 5) },
      nodes: [
        conv('cv1', 'x', 'w1', 'p0'),
        pool('m1', 'p0', 'p1'),
        pool('m2', 'p1', 'p2'),
        pool('m3', 'p2', 'p3'),
        {
          op: 'Concat',
          name: 'cat',
          inputs: ['p0', 'p1', 'p2', 'p3'],
          outputs: ['c'],
          attrs: { axis: { i: 1 } },
        },
        conv('cv2', 'c', 'w2', 'y'),
      ],
    });
    const { on, off, expected } = await runBoth(model, tensor([1, 8, S, S], 8));
    expect(on.placed).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(on.peak).toBeLessThan(off.peak);
    expectSameOutput(on.y, off.y, expected);
  });

  it('a skip connection is not held across the peak it would raise', async () => {
    // s (8 planes) is made early and concatenated late; between them t (32) and t2 (16) peak at
    // 8 + 32 + 16. Computing s into the Concat's 12-plane output would hold that output from s's
    // step on (12 + 32 + 16): only h, made right before the Concat, goes in place. (The peak also
    // counts a2's weights and b's, read ahead: 16 x 32 and 4 x 16 floats.)
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 4, S, S] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: {
        ws: weight(8, 4, 1, 9),
        wa: weight(32, 8, 1, 10),
        wa2: weight(16, 32, 1, 11),
        wb: weight(4, 16, 1, 12),
        wy: weight(4, 12, 1, 13),
      },
      nodes: [
        conv('skip', 'x', 'ws', 's'),
        conv('a', 's', 'wa', 't'),
        conv('a2', 't', 'wa2', 't2'),
        conv('b', 't2', 'wb', 'h'),
        { op: 'Concat', name: 'cat', inputs: ['h', 's'], outputs: ['c'], attrs: { axis: { i: 1 } } },
        conv('out', 'c', 'wy', 'y'),
      ],
    });
    const { on, off, expected } = await runBoth(model, tensor([1, 4, S, S], 14));
    expect(on.placed).toEqual(['h']);
    expect(off.peak).toBe(56 * PLANE + (512 + 64) * 4);
    expect(on.peak).toBe(56 * PLANE + (512 + 64) * 4);
    expectSameOutput(on.y, off.y, expected);
  });

  it('a Concat along a later axis (several runs per input) still copies', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 4, S, S] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { w1: weight(4, 4, 1, 15), w2: weight(4, 4, 3, 16) },
      nodes: [
        conv('c1', 'x', 'w1', 'p'),
        conv('c2', 'x', 'w2', 'q', 1),
        { op: 'Concat', name: 'cat', inputs: ['p', 'q'], outputs: ['y'], attrs: { axis: { i: 2 } } },
      ],
    });
    const { on, off, expected } = await runBoth(model, tensor([1, 4, S, S], 17));
    expect(on.placed).toEqual([]);
    expectSameOutput(on.y, off.y, expected);
  });
});

describe('a Split into contiguous runs makes views', () => {
  it('holds no copy of the halves (peak) and matches the reference', async () => {
    // x (1 plane) * w (8 channels) -> r (8 planes) -> Split (4, 4) -> a 1x1 conv of each down to one
    // plane. Copied halves make the Split step hold 16 planes; views, r's 8 until both convs ran.
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 1, S, S] }],
      outputs: [
        { name: 'ya', type: 'float32' },
        { name: 'yb', type: 'float32' },
      ],
      initializers: {
        scale: new Tensor('float32', random(8, 18), [1, 8, 1, 1]),
        wa: weight(1, 4, 1, 19),
        wb: weight(1, 4, 1, 20),
      },
      nodes: [
        { op: 'Mul', name: 'mul', inputs: ['x', 'scale'], outputs: ['r'] },
        { op: 'Split', name: 'split', inputs: ['r'], outputs: ['a', 'b'], attrs: { axis: { i: 1 } } },
        conv('ca', 'a', 'wa', 'ya'),
        conv('cb', 'b', 'wb', 'yb'),
      ],
    });
    const x = tensor([1, 1, S, S], 21);
    const s = await InferenceSession.create(model, { backend: 'native', threads: 2 });
    const out = await s.run({ x });
    expect(s.lastRunStats!.peakTensorBytes).toBe(10 * PLANE);
    const reference = await (await InferenceSession.create(model, { backend: 'reference' })).run({ x });
    for (const name of ['ya', 'yb']) {
      expect(
        closeness(out[name].data as Float32Array, reference[name].data as Float32Array, 1e-5, 1e-5),
      ).toBeUndefined();
    }
  });
});
