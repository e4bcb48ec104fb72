/**
 * Folding uint8 loads and stores into convolutions (planner/fuse-uint8-io.ts) on the reference
 * backend: its FusedConv reads the uint8 input and quantises its output as LoadUint8 / StoreUint8 do.
 */
import { describe, expect, it } from 'vitest';
import { runUint8ConvIo } from '../src/testing/index.js';

describe('uint8 loads and stores folded into convolutions', () => {
  it('give the bits of the unfolded plan on the reference backend', async () => {
    const { folded, sliced, unfolded } = await runUint8ConvIo('reference');
    for (const [name, y] of Object.entries(unfolded.outputs)) {
      expect(folded.outputs[name], name).toEqual(y);
      expect(sliced.outputs[name], name).toEqual(y);
    }
    const convs = folded.plan.steps.filter((s) => s.node.opType === 'FusedConv');
    // Every convolution writes uint8 with its range; all but the first (reading x) read uint8.
    expect(convs.map((s) => s.node.outputs[0].endsWith('::uint8'))).toEqual(convs.map(() => true));
    expect(convs.every((s) => s.attrs.has('store_min') && s.attrs.has('store_max'))).toBe(true);
    expect(convs.filter((s) => s.node.inputs[0].endsWith('::uint8')).length).toBe(9);
    const reads = (type: string) => folded.plan.steps.filter((s) => s.node.opType === type).length;
    expect(reads('StoreUint8')).toBe(0);
    // What stays: the loads of the Abs readers of the 8 stored convolution outputs.
    expect(reads('LoadUint8')).toBe(8);
  });
});
