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
import { closeness, KeepingProvider } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, resetNativePeak } from '../src/index.js';

let seed = 3;
const random = (n: number) =>
  Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });

type Stored = 'float16' | 'uint8';

/** A weight stored as float16 or uint8[scale,zero] (OnnxStream's converter output), with its dtype text. */
function stored(values: Float32Array, weight: Stored): { bytes: Uint8Array; dtype: string } {
  if (weight === 'float16') {
    return { bytes: new Uint8Array(Uint16Array.from(values, (v) => toHalf(v)).buffer), dtype: 'float16' };
  }
  const bytes = Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round(v / 0.00390625) + 128)));
  return { bytes, dtype: 'uint8[0.00390625,128]' };
}

/**
 * One operator whose weight (over 64 KiB, so that it streams) is stored as `weight`; `k` is the
 * depth of its dot products.
 */
const CASES = {
  Conv: {
    k: 128 * 9,
    x: [1, 128, 6, 6],
    w: [64, 128, 3, 3],
    line: 'Conv*input:x(1,128,6,6);w.bin(T:64,128,3,3)*output:y(1,64,6,6)*pads:1,1,1,1',
  },
  MatMul: {
    k: 320,
    x: [1, 40, 320],
    w: [320, 256],
    line: 'MatMul*input:x(1,40,320);w.bin(T:320,256)*output:y(1,40,256)',
  },
  Gemm: {
    k: 320,
    x: [40, 320],
    w: [256, 320],
    line: 'Gemm*input:x(40,320);w.bin(T:256,320)*output:y(40,256)*transB:1',
  },
} as const;

function model(op: keyof typeof CASES, weight: Stored) {
  const c = CASES[op];
  const { bytes, dtype } = stored(random(c.w.reduce((a: number, b: number) => a * b, 1)), weight);
  const text = `n:${c.line.replace('(T:', `(${dtype}:`)}\n`;
  return () =>
    new MemoryFiles([
      ['model.txt', new TextEncoder().encode(text)],
      ['w.bin', bytes],
    ]);
}

/** The native backend, recording what prepareWeight is handed and returns. */
function spying(calls: { type: string; kept: boolean; asStored: boolean }[]): Backend {
  return {
    ...nativeBackend,
    name: 'native',
    prepareWeight(node: Node, input: number, w: CoreTensor, kept?: boolean) {
      const out = nativeBackend.prepareWeight?.(node, input, w, kept);
      calls.push({ type: w.type, kept: kept ?? true, asStored: out === w });
      return out;
    },
  };
}

describe('float16 and uint8 weights on the native backend', () => {
  it.each(
    (['Conv', 'MatMul', 'Gemm'] as const).flatMap((op) =>
      (['float16', 'uint8'] as const).map((w) => [op, w] as const),
    ),
  )('%s with %s weights: packed as stored when kept, read as stored when streamed', async (op, weight) => {
    const files = model(op, weight);
    const c = CASES[op];
    const x = new Tensor('float32', random(c.x.reduce((a: number, b: number) => a * b, 1)), c.x);
    const reference = await InferenceSession.create(
      { files: files(), entry: 'model.txt' },
      { backend: 'reference' },
    );
    const expected = (await reference.run({ x })).y.data as Float32Array;
    // Dot products of k terms of magnitude up to 0.25 (inputs and weights in [-0.5, 0.5)) summed in
    // float32 where the reference sums in float64: at most k * 2^-24 * 0.25 apart.
    const tolerance = c.k * 2 ** -24 * 0.25;
    for (const keeping of [true, false]) {
      const calls: { type: string; kept: boolean; asStored: boolean }[] = [];
      const s = await InferenceSession.create(
        { files: files(), entry: 'model.txt' },
        { backend: spying(calls), weightsProvider: keeping ? new KeepingProvider() : undefined },
      );
      for (let run = 0; run < 2; run++) {
        const y = (await s.run({ x })).y.data as Float32Array;
        expect(closeness(y, expected, tolerance, tolerance), `run ${run}`).toBeUndefined();
      }
      // A keeping provider gets the packed panels once (the second run reuses them); a streaming
      // one hands the stored weight every run and the kernel packs it per call, with no copy.
      expect(calls).toEqual(
        keeping
          ? [{ type: weight, kept: true, asStored: false }]
          : [0, 1].map(() => ({ type: weight, kept: false, asStored: true })),
      );
    }
  });

  it('a streamed float16 weight is packed in slices, never as a whole float32 copy', async () => {
    // 1024 x 4096 float16: 8 MiB as stored, 16 MiB as float32 panels; the kernel packs 8 MiB slices.
    const w = stored(random(1024 * 4096), 'float16');
    const files = new MemoryFiles([
      [
        'model.txt',
        new TextEncoder().encode(
          'n:MatMul*input:x(1,128,1024);w.bin(float16:1024,4096)*output:y(1,128,4096)\n',
        ),
      ],
      ['w.bin', w.bytes],
    ]);
    const x = new Tensor('float32', random(128 * 1024), [1, 128, 1024]);
    const packed = await InferenceSession.create(
      { files, entry: 'model.txt' },
      { backend: 'native', weightsProvider: new KeepingProvider() },
    );
    const expected = (await packed.run({ x })).y.data as Float32Array;
    // Read whole (not in blocks of rows: weightSliceBytes), as a streamed weight below twice the slice is.
    const s = await InferenceSession.create(
      { files, entry: 'model.txt' },
      { backend: 'native', weightSliceBytes: 0 },
    );
    await s.run({ x });
    const before = nativeInfo().bytesInUse;
    resetNativePeak();
    const y = (await s.run({ x })).y.data as Float32Array;
    // The same panels, packed per call in two slices instead of once.
    expect(closeness(y, expected, 1e-6, 1e-6)).toBeUndefined();
    // New in native memory: the 2 MiB output alone (the slices live in the GEMM's workspace).
    expect(nativeInfo().bytesPeak - before).toBeLessThanOrEqual(2 * 1024 * 1024 + 65536);
  });
});
