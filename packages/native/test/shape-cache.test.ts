import '../src/register.js';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { closeness } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { random } from './helpers.js';

/**
 * x (1920) -> Reshape to `shape` (1, 8, h, w) -> Conv 3x3 stride 2 + Relu -> depthwise Conv 3x3 ->
 * Softmax -> Transpose -> y. One plan serves every h x w of 240 pixels: the shape is a value.
 */
const { model } = encodeOnnxModel({
  inputs: [
    { name: 'x', type: 'float32', dims: [1920] },
    { name: 'shape', type: 'int64', dims: [4] },
  ],
  outputs: [{ name: 'y', type: 'float32' }],
  initializers: {
    w1: new Tensor('float32', random(16 * 8 * 9, 1, -0.5, 0.5), [16, 8, 3, 3]),
    b1: new Tensor('float32', random(16, 2), [16]),
    w2: new Tensor('float32', random(16 * 9, 3, -0.5, 0.5), [16, 1, 3, 3]),
  },
  nodes: [
    { op: 'Reshape', name: 'reshape', inputs: ['x', 'shape'], outputs: ['x4'] },
    {
      op: 'Conv',
      name: 'conv',
      inputs: ['x4', 'w1', 'b1'],
      outputs: ['c'],
      attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } },
    },
    { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
    {
      op: 'Conv',
      name: 'dw',
      inputs: ['r', 'w2'],
      outputs: ['d'],
      attrs: { pads: { ints: [1, 1, 1, 1] }, group: { i: 16 } },
    },
    { op: 'Softmax', name: 'softmax', inputs: ['d'], outputs: ['s'], attrs: { axis: { i: -1 } } },
    {
      op: 'Transpose',
      name: 'transpose',
      inputs: ['s'],
      outputs: ['y'],
      attrs: { perm: { ints: [0, 3, 1, 2] } },
    },
  ],
});

describe('kernel parameters derived from input shapes', () => {
  it('are made again when the shapes change between runs of one plan', async () => {
    const native = await InferenceSession.create(model, { backend: 'native' });
    const reference = await InferenceSession.create(model, { backend: 'reference' });
    const shapes = [
      [12, 20],
      [20, 12],
      [12, 20],
      [15, 16],
      [1, 240],
    ];
    for (const [k, [h, w]] of shapes.entries()) {
      const feeds = {
        x: new Tensor('float32', random(1920, 10 + k), [1920]),
        shape: new Tensor('int64', BigInt64Array.of(1n, 8n, BigInt(h), BigInt(w)), [4]),
      };
      const y = (await native.run(feeds)).y;
      const expected = (await reference.run(feeds)).y;
      const [oh, ow] = [Math.ceil(h / 2), Math.ceil(w / 2)];
      expect(y.dims).toEqual([1, ow, 16, oh]);
      expect(closeness(y.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-6)).toBeUndefined();
      y.dispose();
    }
  });
});
