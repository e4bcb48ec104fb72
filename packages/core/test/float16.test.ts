import { describe, expect, it } from 'vitest';
import { readModelTxt } from '../src/formats/onnxstream/model-txt.js';
import { toFloat16 } from '../src/graph/float16.js';
import { InferenceSession, MemoryFiles, Tensor } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';

describe('fp16 arithmetic', () => {
  it('rewrites every source of float32: weights, constants, declared values, Cast and ConstantOfShape', async () => {
    const text =
      'c:ConstantOfShape*input:shape.bin(int64:1)*output:z(4)*value:0.5\n' +
      'a:Add*input:x(4);z(4)*output:y(4)\n' +
      'm:Mul*input:y(4);w.bin(float32:32)*output:o(32)\n';
    const g = await readModelTxt(
      new MemoryFiles([
        ['model.txt', new TextEncoder().encode(text)],
        ['shape.bin', new Uint8Array(BigInt64Array.of(4n).buffer)],
        ['w.bin', new Uint8Array(128)],
      ]),
      'model.txt',
    );
    const h = toFloat16(g);
    expect(h.weights.get('w.bin')?.computeType).toBe('float16');
    expect(h.weights.get('w.bin')?.type).toBe('float32');
    const value = h.nodes[0].attributes.get('value');
    expect(value?.type === 'tensor' && value.value.type).toBe('float16');
    expect(h.constants.get('shape.bin')?.type).toBe('int64');
  });

  it('computes in half precision and returns float32', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [3] }],
      outputs: [{ name: 'y', type: 'float32', dims: [3] }],
      nodes: [
        { op: 'Add', inputs: ['x', 'eps'], outputs: ['s'] },
        { op: 'Cast', inputs: ['s'], outputs: ['y'], attrs: { to: { i: 1 } } },
      ],
      initializers: { eps: new Tensor('float32', [1e-4], [1]) },
    });
    const x = new Tensor('float32', [1, 2048, 0.1], [3]);
    const full = (await (await InferenceSession.create(model)).run({ x })).y;
    const half = (await (await InferenceSession.create(model, { fp16Arithmetic: true })).run({ x })).y;
    expect(half.type).toBe('float32');
    // In fp16 1 + 1e-4 rounds to 1 (step 2^-10) and 2048 + 1e-4 to 2048; 0.1 + 1e-4 lands on the
    // fp16 grid of step 2^-14 next to 0.1000756: 0.10009765625.
    expect([...(half.data as Float32Array)]).toEqual([1, 2048, 0.10009765625]);
    expect(full.data[0]).toBeCloseTo(1.0001, 6);
  });
});
