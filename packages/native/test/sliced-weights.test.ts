import '../src/register.js';
import {
  InferenceSession,
  MemoryFiles,
  type ModelFiles,
  readWeightRows,
  Tensor,
  toHalf,
  type WeightsProvider,
  weightTensor,
} from '@onnxstream/core';
import { closeness, KeepingProvider } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { random } from './helpers.js';

let seed = 5;
/** Values in [-0.5, 0.5), a new seed each call. */
const values = (n: number) => random(n, seed++, -0.5, 0.5);
const halfBytes = (values: Float32Array) => new Uint8Array(Uint16Array.from(values, (v) => toHalf(v)).buffer);

/**
 * Conv (+ bias, + Relu: one FusedConv) with a float16 weight [m, c, 3, 3] over x [n, c, 8, 8], as an
 * OnnxStream folder in memory.
 */
function convFolder(n: number, c: number, m: number) {
  const text =
    `conv:Conv*input:x(${n},${c},8,8);w.bin(float16:${m},${c},3,3);b.bin(float32:${m})` +
    `*output:h(${n},${m},8,8)*pads:1,1,1,1\n` +
    `relu:Relu*input:h(${n},${m},8,8)*output:y(${n},${m},8,8)\n`;
  const files = new MemoryFiles([
    ['model.txt', new TextEncoder().encode(text)],
    ['w.bin', halfBytes(values(m * c * 9))],
    ['b.bin', new Uint8Array(values(m).buffer)],
  ]);
  return { model: { files, entry: 'model.txt' }, x: new Tensor('float32', values(n * c * 64), [n, c, 8, 8]) };
}

describe('sliced convolution weights (weightSliceBytes)', () => {
  it.each([
    [1, 256, 512, 48],
    [2, 24, 100, 11],
  ])(
    'x [%i, %i, 8, 8], weight [%i, ...] in blocks of %i: the values of the whole weight, never all of it held',
    async (n, c, m, rows) => {
      const { model, x } = convFolder(n, c, m);
      const rowBytes = c * 9 * 2;
      const weightBytes = m * rowBytes;
      // About a ninth of the weight per block: 56 rows of 4608 bytes, cut to 48 (a multiple of 16);
      // 11 rows of 432 (fewer than 16: as they are). The last block is shorter.
      const sliceBytes = Math.floor(weightBytes / 9);
      const sliced = await InferenceSession.create(model, {
        backend: 'native',
        weightSliceBytes: sliceBytes,
      });
      const plan = await sliced.plan(new Map([['x', x]]));
      expect(plan.steps.map((s) => s.node.opType)).toEqual(['FusedConv']);
      expect(plan.steps[0].slices).toMatchObject({ input: 1, rows });
      expect(plan.steps[0].weights.map((w) => w.name)).toEqual(['b.bin']);
      const y = (await sliced.run({ x })).y;
      const slicedPeak = sliced.lastRunStats!.peakTensorBytes;

      const whole = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 0 });
      expect((await whole.plan(new Map([['x', x]]))).steps[0].slices).toBeUndefined();
      const expected = (await whole.run({ x })).y;
      // Each output channel is the same dot products, in the same order.
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected.data as Float32Array));
      const wholePeak = whole.lastRunStats!.peakTensorBytes;
      // Weight bytes as stored (float16 weight, float32 bias), read once either way.
      expect(sliced.lastRunStats!.weightBytes).toBe(weightBytes + m * 4);
      expect(whole.lastRunStats!.weightBytes).toBe(weightBytes + m * 4);

      const io = (x.size + y.size) * 4 + m * 4;
      expect(wholePeak).toBeGreaterThanOrEqual(io + weightBytes);
      // Two blocks (one read ahead) instead of the weight.
      expect(slicedPeak).toBeLessThanOrEqual(io + 2 * rows * rowBytes);

      // A provider that keeps weights packs the whole weight once instead.
      const kept = await InferenceSession.create(model, {
        backend: 'native',
        weightSliceBytes: sliceBytes,
        weightsProvider: new KeepingProvider(),
      });
      expect((await kept.plan(new Map([['x', x]]))).steps[0].slices).toBeUndefined();
      const reference = await InferenceSession.create(model, { backend: 'reference' });
      const r = (await reference.run({ x })).y.data as Float32Array;
      expect(closeness(y.data as Float32Array, r, 1e-5, 1e-5)).toBeUndefined();
      expect(closeness((await kept.run({ x })).y.data as Float32Array, r, 1e-5, 1e-5)).toBeUndefined();
    },
  );

  it('a block that cannot be read fails the run with the operator named (the block read ahead too)', async () => {
    // Large enough that the first block's kernel leaves the JavaScript thread while the read fails.
    const { model, x } = convFolder(1, 256, 512);
    let files: ModelFiles | undefined;
    const failing: WeightsProvider = {
      name: 'failing-rows',
      init: (f) => {
        files = f;
      },
      get: async (ref) => weightTensor(ref, await files!.read(ref.file, ref.offset, ref.byteLength)),
      // The first block reads; the second (read ahead while the first runs) fails.
      getRows: (ref, rows) =>
        rows[0] === 0 ? readWeightRows(files!, ref, rows) : Promise.reject(new Error('the disk went away')),
    };
    const s = await InferenceSession.create(model, {
      backend: 'native',
      weightSliceBytes: 256 * 1024,
      weightsProvider: failing,
    });
    await expect(s.run({ x })).rejects.toThrow(/conv.*the disk went away/s);
  });

  it('rejects a negative slice size', async () => {
    const { model } = convFolder(1, 4, 8);
    await expect(InferenceSession.create(model, { backend: 'native', weightSliceBytes: -1 })).rejects.toThrow(
      /weightSliceBytes must be >= 0/,
    );
  });
});

/**
 * p [rows, k] -> MatMul by a float16 w1 [k, 2h] -> Add b -> GEGLU (torch's erf form) -> [Relu] ->
 * MatMul by a float16 w2 [h, n] -> y, as an OnnxStream folder in memory. All one MatMulGeglu, or
 * with the Relu a MatMulGeglu and a MatMul.
 */
function linearFolder(rows: number, k: number, h: number, n: number, relu = false) {
  const [p, x, half] = [`(${rows},${k})`, `(${rows},${2 * h})`, `(${rows},${h})`];
  const text = [
    `proj:MatMul*input:p${p};w1.bin(float16:${k},${2 * h})*output:pw${x}`,
    `proj_bias:Add*input:b.bin(float32:${2 * h});pw${x}*output:x${x}`,
    `split:Split*input:x${x};sizes.bin(int64:2)*output:hidden${half};gate${half}*axis:-1`,
    `div:Div*input:gate${half};sqrt2.bin(float32:)*output:d${half}`,
    `erf:Erf*input:d${half}*output:e${half}`,
    `add:Add*input:e${half};one.bin(float32:)*output:a${half}`,
    `mul:Mul*input:gate${half};a${half}*output:m${half}`,
    `mul_1:Mul*input:m${half};half.bin(float32:)*output:g${half}`,
    `mul_2:Mul*input:hidden${half};g${half}*output:gated${half}`,
    ...(relu ? [`relu:Relu*input:gated${half}*output:r${half}`] : []),
    `out:MatMul*input:${relu ? 'r' : 'gated'}${half};w2.bin(float16:${h},${n})*output:y(${rows},${n})`,
  ].join('\n');
  const scalar = (v: number) => new Uint8Array(Float32Array.of(v).buffer);
  const files = new MemoryFiles([
    ['model.txt', new TextEncoder().encode(`${text}\n`)],
    ['w1.bin', halfBytes(values(k * 2 * h))],
    ['b.bin', new Uint8Array(values(2 * h).buffer)],
    ['sizes.bin', new Uint8Array(BigInt64Array.of(BigInt(h), BigInt(h)).buffer)],
    ['sqrt2.bin', scalar(Math.SQRT2)],
    ['one.bin', scalar(1)],
    ['half.bin', scalar(0.5)],
    ['w2.bin', halfBytes(values(h * n))],
  ]);
  return {
    model: { files, entry: 'model.txt' },
    p: new Tensor('float32', values(rows * k), [rows, k]),
  };
}

describe('sliced linear-layer weights (MatMul, MatMulGeglu)', () => {
  it('reads both weights a block of K at a time: the reference values, never a whole weight held', async () => {
    const [rows, k, h, n] = [24, 512, 384, 320];
    const { model, p } = linearFolder(rows, k, h, n, true);
    const w1Bytes = k * 2 * h * 2;
    // 1/8 of w1 per block: 64 of its rows (1536 bytes each); w2's rows are 640 bytes: 144 rows
    // (153 cut to a multiple of 16) of its 384, so its third block is short.
    const sliceBytes = w1Bytes / 8;
    const sliced = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: sliceBytes });
    const plan = await sliced.plan(new Map([['p', p]]));
    expect(plan.steps.map((s) => s.node.opType)).toEqual(['MatMulGeglu', 'Relu', 'MatMul']);
    expect(plan.steps.map((s) => s.slices && { input: s.slices.input, rows: s.slices.rows })).toEqual([
      { input: 1, rows: 64 },
      undefined,
      { input: 1, rows: 144 },
    ]);
    const y = (await sliced.run({ p })).y;
    const slicedPeak = sliced.lastRunStats!.peakTensorBytes;

    const whole = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 0 });
    expect((await whole.plan(new Map([['p', p]]))).steps.every((s) => !s.slices)).toBe(true);
    const expected = (await whole.run({ p })).y;
    const wholePeak = whole.lastRunStats!.peakTensorBytes;
    // The whole-weight run holds w1 (as float16) at its first step; the sliced one two blocks of it.
    expect(wholePeak).toBeGreaterThanOrEqual(w1Bytes);
    expect(slicedPeak).toBeLessThanOrEqual(wholePeak - w1Bytes + 2 * (w1Bytes / 8));

    const reference = await InferenceSession.create(model, { backend: 'reference' });
    const r = (await reference.run({ p })).y.data as Float32Array;
    // Sums over K in blocks differ from one sum only by rounding: the GEMM bound, 2e-6 per unit of depth.
    expect(closeness(y.data as Float32Array, r, 1e-5, 2e-6 * k)).toBeUndefined();
    expect(closeness(expected.data as Float32Array, r, 1e-5, 2e-6 * k)).toBeUndefined();
    expect(y.dims).toEqual([rows, n]);
  });

  it('a feed-forward is one MatMulGeglu, but its output layer stays apart when the projection is sliced', async () => {
    const [rows, k, h, n] = [24, 512, 384, 320];
    const { model, p } = linearFolder(rows, k, h, n);
    const reference = await InferenceSession.create(model, { backend: 'reference' });
    const r = (await reference.run({ p })).y.data as Float32Array;
    for (const [sliceBytes, steps] of [
      [0, ['MatMulGeglu']],
      [(k * 2 * h * 2) / 8, ['MatMulGeglu', 'MatMul']],
    ] as const) {
      const s = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: sliceBytes });
      const plan = await s.plan(new Map([['p', p]]));
      expect(plan.steps.map((st) => st.node.opType)).toEqual(steps);
      // Whole, the output layer's weight is the fused step's (the projection made in blocks of rows);
      // sliced, the projection is made whole and w2 would be held with w1's blocks.
      if (!sliceBytes)
        expect(plan.steps[0].weights.map((w) => w.name)).toEqual(['w1.bin', 'b.bin', 'w2.bin']);
      else expect(plan.steps[0].slices).toMatchObject({ input: 1, rows: 64 });
      const y = (await s.run({ p })).y;
      expect(y.dims).toEqual([rows, n]);
      expect(closeness(y.data as Float32Array, r, 1e-5, 2e-6 * k)).toBeUndefined();
    }
  });

  it('takes a batched (3-D) MatMul weight whole, with the values of the unsliced run', async () => {
    const text = 'mm:MatMul*input:p(2,5,64);w.bin(float16:2,64,48)*output:y(2,5,48)\n';
    const files = new MemoryFiles([
      ['model.txt', new TextEncoder().encode(text)],
      ['w.bin', halfBytes(values(2 * 64 * 48))],
    ]);
    const model = { files, entry: 'model.txt' };
    const p = new Tensor('float32', values(2 * 5 * 64), [2, 5, 64]);
    // Half the weight per block: its rows along axis 0 are the two batches.
    const sliced = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 64 * 48 * 2 });
    expect((await sliced.plan(new Map([['p', p]]))).steps[0].slices).toMatchObject({ input: 1, rows: 1 });
    const whole = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 0 });
    const y = (await sliced.run({ p })).y.data as Float32Array;
    expect(Array.from(y)).toEqual(Array.from((await whole.run({ p })).y.data as Float32Array));
  });

  it('takes the weight whole where blocks of K would not save memory, with the same values', async () => {
    // The whole projection (4096 x 1024 floats, 16 MiB) would be 8 times the 2 MiB block of rows the
    // kernel makes otherwise, and w1 [16, 1024] is 32 KiB.
    const { model, p } = linearFolder(4096, 16, 512, 8);
    const sliced = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 8192 });
    const plan = await sliced.plan(new Map([['p', p]]));
    expect(plan.steps[0].slices).toMatchObject({ input: 1, rows: 4 });
    const whole = await InferenceSession.create(model, { backend: 'native', weightSliceBytes: 0 });
    const y = (await sliced.run({ p })).y.data as Float32Array;
    expect(Array.from(y)).toEqual(Array.from((await whole.run({ p })).y.data as Float32Array));
  });
});
