/**
 * Folding uint8 loads and stores into the operators (planner/fuse-uint8-io.ts) on the reference
 * backend: its FusedConv and Uint8ChannelBlocks read uint8 inputs and quantise their outputs as
 * LoadUint8 / StoreUint8 do, so the results keep their bits.
 */
import { describe, expect, it } from 'vitest';
import { runUint8IoModel } from '../src/testing/index.js';

describe('uint8 loads and stores folded into the operators', () => {
  it('give the bits of the unfolded plan on the reference backend', async () => {
    const { folded, sliced, unfolded } = await runUint8IoModel('reference');
    for (const [name, y] of Object.entries(unfolded.outputs)) {
      expect(folded.outputs[name], name).toEqual(y);
      expect(sliced.outputs[name], name).toEqual(y);
    }
    const convs = folded.plan.steps.filter((s) => s.node.opType === 'FusedConv');
    // Every convolution writes uint8 with its range; all but the first (reading x) read uint8.
    expect(convs.map((s) => s.node.outputs[0].endsWith('::uint8'))).toEqual(convs.map(() => true));
    expect(convs.every((s) => s.attrs.has('store_min') && s.attrs.has('store_max'))).toBe(true);
    expect(convs.filter((s) => s.node.inputs[0].endsWith('::uint8')).length).toBe(10);
    // The GroupNorm chain and the residual: each Reshape reshapes the uint8 value, and each channel
    // operator runs between uint8 tensors.
    const tail = folded.plan.steps.slice(-10).map((s) => s.attrs.string('op', s.node.opType));
    expect(tail).toEqual([
      'Reshape',
      'InstanceNormalization',
      'Reshape',
      'Mul',
      'FusedAdd',
      'FusedConv',
      'Add',
      'Mul',
      'LoadUint8',
      'Abs',
    ]);
    const reads = (type: string) => folded.plan.steps.filter((s) => s.node.opType === type).length;
    expect(reads('StoreUint8')).toBe(0);
    // What stays: the loads of the Abs readers.
    expect(reads('LoadUint8')).toBe(9);
    expect(reads('Uint8ChannelBlocks')).toBe(5);
    expect(folded.peakTensorBytes).toBeLessThan(unfolded.peakTensorBytes);
  });
});
