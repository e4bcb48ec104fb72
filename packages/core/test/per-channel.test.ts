/**
 * Per-channel uint8 weights (`uint8[axis=A]` + `.qparams`, `onnxstream convert --uint8-per-channel`):
 * the quantiser's values derived by hand, the reader's dequantisation and errors, and converted
 * real models computing closer to float32 than OnnxStream's per-tensor quantisation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeUint8PerChannel } from '../src/convert/quantize.js';
import { InferenceSession, MemoryFiles, ModelFormatError, Tensor } from '../src/index.js';
import { convertOnnxFile } from '../src/onnx.js';
import { testdata } from '../src/testing/index.js';

const enc = new TextEncoder();
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const qparams = (scales: number[], zeros: number[]) => Uint8Array.from([...f32(...scales), ...zeros]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-per-channel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('quantizeUint8PerChannel', () => {
  // Rows [-1, 0, 2] and [0.6, 1, 0.25], and a row of zeros.
  const a = Float32Array.of(-1, 0, 2, 0.6, 1, 0.25, 0, 0, 0);

  it('takes each channel’s range (widened to hold zero), rounding to nearest', () => {
    const q = quantizeUint8PerChannel(a, [3, 3], 0);
    // Row 0: range [-1, 2], scale 3/255, zero 85: -1 -> 0, 0 -> 85, 2 -> 170 + 85 = 255.
    // Row 1: range [0, 1], scale 1/255, zero 0: 0.6 -> 153, 1 -> 255, 0.25 -> 63.75 -> 64.
    // Row 2: zeros: scale 1, zero 0.
    expect(Array.from(q.scales)).toEqual([Math.fround(3 / 255), Math.fround(1 / 255), 1]);
    expect(Array.from(q.zeroPoints)).toEqual([85, 0, 0]);
    expect(Array.from(q.data)).toEqual([0, 85, 255, 153, 255, 64, 0, 0, 0]);
  });

  it('along a later axis, channels interleave', () => {
    const q = quantizeUint8PerChannel(a, [3, 3], 1);
    // Column 0 [-1, 0.6, 0]: scale 1.6/255, zero round(159.375) = 159: -1 -> 0, 0.6 -> 95.625 + 159 -> 255.
    // Column 1 [0, 1, 0]: scale 1/255, zero 0. Column 2 [2, 0.25, 0]: scale 2/255: 0.25 -> 31.875 -> 32.
    expect(Array.from(q.zeroPoints)).toEqual([159, 0, 0]);
    expect(Array.from(q.data)).toEqual([0, 0, 255, 255, 255, 32, 159, 0, 0]);
  });
});

/** x [1, 2] times a per-channel weight [2, 3] (axis 1) whose values are known. */
function matmulFolder(params: Uint8Array | undefined, dtype = 'uint8[axis=1]') {
  const text = `m:MatMul*input:x(1,2);w.bin(${dtype}:2,3)*output:y(1,3)`;
  const files: [string, Uint8Array][] = [
    ['model.txt', enc.encode(text)],
    ['w.bin', Uint8Array.of(10, 0, 255, 20, 100, 0)],
  ];
  if (params) files.push(['w.bin.qparams', params]);
  return new MemoryFiles(files, 'pc');
}

describe('uint8[axis=A] weights', () => {
  it('are dequantised per channel as they are read', async () => {
    // Column c: (q - zero[c]) * scale[c]; scales 0.5, 0.25, 2 and zero points 10, 0, 255.
    const files = matmulFolder(qparams([0.5, 0.25, 2], [10, 0, 255]));
    const s = await InferenceSession.create({ files, entry: 'model.txt' }, { backend: 'reference' });
    const x = new Tensor('float32', Float32Array.of(1, 2), [1, 2]);
    // W = [[0, 0, 0], [5, 25, -510]]: y = x W = [10, 50, -1020].
    const { y } = await s.run({ x });
    expect(Array.from(y.data as Float32Array)).toEqual([10, 50, -1020]);
  });

  it('name the weight and the file when their parameters are missing or malformed', async () => {
    const open = (files: MemoryFiles) =>
      InferenceSession.create({ files, entry: 'model.txt' }, { backend: 'reference' });
    await expect(open(matmulFolder(undefined))).rejects.toThrow(ModelFormatError);
    await expect(open(matmulFolder(undefined))).rejects.toThrow(
      /w\.bin.*quantised per channel.*w\.bin\.qparams/,
    );
    await expect(open(matmulFolder(qparams([0.5, 0.25], [10, 0])))).rejects.toThrow(
      /holds 10 bytes, not 15 \(3 float32 scales, then 3 uint8 zero points\)/,
    );
    await expect(open(matmulFolder(qparams([0.5, Number.NaN, 2], [1, 2, 3])))).rejects.toThrow(
      /w\.bin\.qparams: a scale is not a finite number/,
    );
    await expect(open(matmulFolder(qparams([1, 1, 1], [0, 0, 0]), 'uint8[axis=2]'))).rejects.toThrow(
      /per-channel axis 2 of 'w\.bin\(uint8\[axis=2\]:2,3\)' is not one of its 2 axes/,
    );
  });
});

describe('quantised weights stream like float ones', () => {
  it('a small per-tensor or per-channel uint8 weight is read when used, not held as a float32 constant', async () => {
    // x [1, 8] times w [8, 4] (32 uint8 values, 32 bytes): (q - 3) * 0.5, and per column.
    const q = Uint8Array.from({ length: 32 }, (_, i) => (i * 7) % 16);
    const text = (dtype: string) => `m:MatMul*input:x(1,8);w.bin(${dtype}:8,4)*output:y(1,4)`;
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 8 }, (_, i) => i - 3),
      [1, 8],
    );
    for (const [dtype, scale, zero] of [
      ['uint8[0.5,3]', () => 0.5, () => 3],
      ['uint8[axis=1]', (c: number) => 0.25 * (c + 1), (c: number) => c],
    ] as const) {
      const files = new MemoryFiles([
        ['model.txt', enc.encode(text(dtype))],
        ['w.bin', q],
        ['w.bin.qparams', qparams([0.25, 0.5, 0.75, 1], [0, 1, 2, 3])],
      ]);
      const s = await InferenceSession.create({ files, entry: 'model.txt' }, { backend: 'reference' });
      expect(s.graph.weights.has('w.bin')).toBe(true);
      expect(s.graph.constants.has('w.bin')).toBe(false);
      const want = [0, 1, 2, 3].map((c) =>
        [...x.data].reduce((sum, v, k) => sum + v * (q[k * 4 + c] - zero(c)) * scale(c), 0),
      );
      const { y } = await s.run({ x });
      expect(Array.from(y.data as Float32Array)).toEqual(want.map(Math.fround));
    }
  });
});

describe('onnxstream convert with uint8PerChannel', () => {
  const mnist = testdata('models', 'mnist-8', 'model.onnx');

  it('writes Conv weights per output channel with their parameters, the rest as onnx2txt does', async () => {
    const out = join(dir, 'mnist-pc');
    await convertOnnxFile(mnist, out, { uint8PerChannel: true });
    const text = await readFile(join(out, 'model.txt'), 'utf8');
    expect(text).toContain('Parameter5_nchw.bin(uint8[axis=0]:8,1,5,5)');
    expect(text).toContain('Parameter87_nchw.bin(uint8[axis=0]:16,8,5,5)');
    // The weight reshaped before its MatMul is quantised per tensor, as --uint8 writes it.
    const perTensor = join(dir, 'mnist-u8');
    await convertOnnxFile(mnist, perTensor, { uint8: true });
    const token = /Parameter193\.bin\([^)]*\)/;
    expect(text.match(token)?.[0]).toBe(
      (await readFile(join(perTensor, 'model.txt'), 'utf8')).match(token)?.[0],
    );
    expect(text).not.toContain('_nhwc.bin');
    // Each channel's parameters: 8 float32 scales, then 8 zero points; every channel uses 0..255.
    const params = new Uint8Array(await readFile(join(out, 'Parameter5_nchw.bin.qparams')));
    expect(params.length).toBe(8 * 5);
    const data = new Uint8Array(await readFile(join(out, 'Parameter5_nchw.bin')));
    for (let c = 0; c < 8; c++) {
      const channel = data.subarray(c * 25, (c + 1) * 25);
      expect(Math.min(...channel) === 0 || params[32 + c] === 0).toBe(true);
      expect(Math.max(...channel) === 255 || params[32 + c] === 255).toBe(true);
    }
  });

  it('computes closer to float32 than per-tensor uint8 (reference backend)', async () => {
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 784 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5),
      [1, 1, 28, 28],
    );
    const run = async (name: string, options: object) => {
      const out = join(dir, name);
      await convertOnnxFile(mnist, out, options);
      const s = await InferenceSession.create(out, { backend: 'reference' });
      return Object.values(await s.run({ [s.inputNames[0]]: x }))[0].data as Float32Array;
    };
    const exact = await run('mnist-f32', {});
    const error = (got: Float32Array) =>
      Math.max(...got.map((v, i) => Math.abs(v - exact[i]))) / Math.max(...exact.map(Math.abs));
    // Measured: per tensor 0.128, per channel 0.075 of the largest output.
    const perTensor = error(await run('mnist-u8-run', { uint8: true }));
    const perChannel = error(await run('mnist-pc-run', { uint8PerChannel: true }));
    expect(perChannel).toBeLessThan(0.1);
    expect(perChannel).toBeLessThan(perTensor * 0.7);
  });
});
