import '../src/register.js';
import {
  type Backend,
  type Tensor as CoreTensor,
  InferenceSession,
  MemoryFiles,
  type Node,
  Tensor,
  toHalf,
} from '@onnxstream/core';
import { closeness } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../src/index.js';

let seed = 3;
const random = (n: number) =>
  Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });

/**
 * A Conv whose weight is stored as float16 or uint8[scale,zero] (OnnxStream's converter output),
 * over 64 KiB so that it streams (smaller integer tensors are loaded once as constants).
 */
function model(weight: 'float16' | 'uint8') {
  const w = random(64 * 128 * 9);
  const dtype = weight === 'float16' ? 'float16' : 'uint8[0.00390625,128]';
  const bytes =
    weight === 'float16'
      ? new Uint8Array(Uint16Array.from(w, (v) => toHalf(v)).buffer)
      : Uint8Array.from(w, (v) => Math.min(255, Math.max(0, Math.round(v / 0.00390625) + 128)));
  const text = `c:Conv*input:x(1,128,6,6);w.bin(${dtype}:64,128,3,3)*output:y(1,64,6,6)*pads:1,1,1,1\n`;
  return () =>
    new MemoryFiles([
      ['model.txt', new TextEncoder().encode(text)],
      ['w.bin', bytes],
    ]);
}

/** The native backend, recording the types prepareWeight is handed. */
function spying(types: string[]): Backend {
  return {
    ...nativeBackend,
    name: 'native',
    prepareWeight(node: Node, input: number, w: CoreTensor) {
      types.push(w.type);
      return nativeBackend.prepareWeight?.(node, input, w);
    },
  };
}

describe('float16 and uint8 weights streamed to the native backend', () => {
  it.each(['float16', 'uint8'] as const)(
    '%s weights are packed as stored, every run, matching the reference',
    async (weight) => {
      const files = model(weight);
      const x = new Tensor('float32', random(128 * 36), [1, 128, 6, 6]);
      const reference = await InferenceSession.create(
        { files: files(), entry: 'model.txt' },
        { backend: 'reference' },
      );
      const expected = (await reference.run({ x })).y.data as Float32Array;
      const types: string[] = [];
      const s = await InferenceSession.create(
        { files: files(), entry: 'model.txt' },
        { backend: spying(types) },
      );
      for (let run = 0; run < 2; run++) {
        const y = (await s.run({ x })).y.data as Float32Array;
        // Dot products of 1152 terms of magnitude ~0.1 in float32 (the reference sums in float64):
        // up to ~1152 * 2^-24 * 0.1 = 7e-6 apart where the sum cancels.
        expect(closeness(y, expected, 1e-5, 1e-5), `run ${run}`).toBeUndefined();
      }
      // Each run hands over the weight as stored; the packing converts it (no float32 copy first).
      expect(types).toEqual([weight, weight]);
    },
  );
});
