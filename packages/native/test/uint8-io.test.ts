/**
 * Static uint8 activations with the uint8 loads and stores folded into the operators: the native
 * kernels read the uint8 input and write the uint8 output themselves, with the bits LoadUint8 and
 * StoreUint8 around float32 convolutions give, on each ISA this machine runs.
 */
import '../src/register.js';
import { runUint8IoModel } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
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
