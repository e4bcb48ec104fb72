/**
 * Static uint8 activations with the uint8 loads and stores folded into the operators: the native
 * kernels read the uint8 input and write the uint8 output themselves, with the bits LoadUint8 and
 * StoreUint8 around float32 convolutions give, on each ISA this machine runs.
 */
import '../src/register.js';
import { runUint8IoModel } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { binding } from '../src/binding.js';
import { nativeInfo, useIsa } from '../src/index.js';

const count = (steps: readonly { node: { opType: string } }[], type: string) =>
  steps.filter((s) => s.node.opType === type).length;

describe.each(nativeInfo().isas)('uint8 operator inputs and outputs on the native backend, %s', (isa) => {
  it('give the bits of LoadUint8 / StoreUint8 around float32 operators', async () => {
    useIsa(isa);
    const { folded, sliced, unfolded } = await runUint8IoModel('native');
    for (const [name, y] of Object.entries(unfolded.outputs)) {
      expect(new Set(y).size, name).toBeGreaterThan(20);
      expect(folded.outputs[name], name).toEqual(y);
      expect(sliced.outputs[name], `${name}, sliced weights`).toEqual(y);
    }
    // conv_a, stride2, one_row and upsampled (the weights of two steps each are read whole).
    expect(sliced.plan.steps.filter((s) => s.slices).length).toBe(4);
    expect(count(folded.plan.steps, 'StoreUint8')).toBe(0);
    const convs = folded.plan.steps.filter((s) => s.node.opType === 'FusedConv');
    expect(convs.length).toBe(11);
    expect(convs.every((s) => s.backend.name === 'native')).toBe(true);
    expect(convs.filter((s) => s.node.inputs[0].endsWith('::uint8')).length).toBe(10);
    // The GroupNorm chain and the residual Add and Mul, a block of channels at a time.
    const blocks = folded.plan.steps.filter((s) => s.node.opType === 'Uint8ChannelBlocks');
    expect(blocks.length).toBe(5);
    expect(blocks.every((s) => s.backend.name === 'native')).toBe(true);
  });
});

describe('conv2d_f32 with uint8 sides', () => {
  // A 1x1 convolution of a 1-channel 2x2 image: w = 2, then the input's and output's form, scale, zero.
  const params = (io: number[]) =>
    new Float64Array([1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2, 2, 1, -1, 0, 0, 1, 0, 1, ...io]);
  const run = (x: ArrayBufferView, y: ArrayBufferView, io: number[]) => {
    const b = binding();
    b.runSync(
      b.info().kernels.indexOf('conv2d_f32'),
      [x, Float32Array.of(2), new Float32Array(0), y],
      params(io),
    );
  };

  it('dequantises the input and quantises the output with their scale and zero point', () => {
    const y = new Uint8Array(4);
    // x = (q - 10) * 0.5 = [-5, 0, 5, 10]; 2x = [-10, 0, 10, 20], stored at scale 0.25, zero 100.
    run(Uint8Array.of(0, 10, 20, 30), y, [1, 0.5, 10, 1, 0.25, 100]);
    expect([...y]).toEqual([60, 100, 140, 180]);
    const f = new Float32Array(4);
    run(Uint8Array.of(0, 10, 20, 30), f, [1, 0.5, 10, 0, 0, 0]);
    expect([...f]).toEqual([-10, 0, 10, 20]);
  });

  it('rejects a bad scale, a missing zero point and a uint8 buffer too small', () => {
    const x = new Uint8Array(4);
    expect(() => run(x, new Uint8Array(4), [1, 0, 10, 1, 0.25, 100])).toThrow(
      'conv2d_f32: parameter 23 is not a positive scale',
    );
    expect(() => run(x, new Uint8Array(4), [1, 0.5])).toThrow('conv2d_f32: parameter 24 is missing');
    expect(() => run(x, new Uint8Array(3), [1, 0.5, 10, 1, 0.25, 100])).toThrow(
      'conv2d_f32: buffer 3 holds 3 bytes, 4 needed',
    );
  });
});
