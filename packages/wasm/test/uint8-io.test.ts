/**
 * Static uint8 activations with the uint8 loads and stores folded into the operators, on each
 * wasm build (the SIMD builds run 3x3 stride-1 convolutions by Winograd): the convolutions read the
 * uint8 input and write the uint8 output themselves, the channel operators run a block of channels at
 * a time between uint8 tensors, with the bits of LoadUint8 and StoreUint8 around float32 operators.
 */
import { runUint8IoModel } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmVariant } from '../src/index.js';

const VARIANTS: WasmVariant[] = ['relaxed', 'threads', 'simd', 'plain'];

describe.each(VARIANTS)('uint8 operator inputs and outputs on the wasm %s build', (variant) => {
  it('give the bits of LoadUint8 / StoreUint8 around float32 operators', async () => {
    const backend = createWasmBackend({ variant, threads: 2 });
    const { folded, sliced, unfolded } = await runUint8IoModel(backend);
    for (const [name, y] of Object.entries(unfolded.outputs)) {
      expect(new Set(y).size, name).toBeGreaterThan(20);
      expect(folded.outputs[name], name).toEqual(y);
      expect(sliced.outputs[name], `${name}, sliced weights`).toEqual(y);
    }
    const convs = folded.plan.steps.filter((s) => s.node.opType === 'FusedConv');
    expect(convs.length).toBe(11);
    expect(convs.every((s) => s.backend.name === 'wasm')).toBe(true);
    expect(convs.filter((s) => s.node.inputs[0].endsWith('::uint8')).length).toBe(10);
    // The GroupNorm chain and the residual Add and Mul, a block of channels at a time.
    const blocks = folded.plan.steps.filter((s) => s.node.opType === 'Uint8ChannelBlocks');
    expect(blocks.length).toBe(5);
    expect(blocks.every((s) => s.backend.name === 'wasm')).toBe(true);
    await backend.dispose?.();
  });
});
