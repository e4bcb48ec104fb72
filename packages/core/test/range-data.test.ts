import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { formatRangeData, InferenceSession, parseRangeData, Tensor, toStdString } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';
import { percentileRange } from '../src/ops/fused/uint8-storage.js';

describe("OnnxStream's range_data.txt", () => {
  it('reads op,min,max lines (CRLF or LF, empty lines skipped, numbers as std::stof reads them)', () => {
    const r = parseRangeData('conv1,-1.250000,3.500000\r\n\r\n/model/add,0,2.5e1\nsig,0.1abc,1\n');
    expect([...r]).toEqual([
      ['conv1', [-1.25, 3.5]],
      ['/model/add', [0, 25]],
      ['sig', [0.1, 1]],
    ]);
  });

  it('names the file and line of a malformed line', () => {
    expect(() => parseRangeData('a,1,2\nb,1\n', 'models/vae/range_data.txt')).toThrow(
      /models\/vae\/range_data\.txt:2: expected 'op name,min,max', got 2 fields/,
    );
    expect(() => parseRangeData('a,x,2', 'r.txt')).toThrow(/r\.txt:1: min and max must be numbers/);
  });

  it("writes std::to_string's six decimals (ties to even on the float's exact value) with CRLF", () => {
    // 1/128 = 0.0078125 and 3/128 = 0.0234375 are exact ties at the seventh decimal.
    expect(toStdString(1 / 128)).toBe('0.007812');
    expect(toStdString(3 / 128)).toBe('0.023438');
    // 123456.789 as a float is 123456.7890625: another tie, kept even.
    expect(toStdString(123456.789)).toBe('123456.789062');
    expect(toStdString(-1.5)).toBe('-1.500000');
    expect(toStdString(1e-7)).toBe('0.000000');
    // 0.1f is 0.100000001490116..., printed 0.100000.
    expect(toStdString(0.1)).toBe('0.100000');
    expect(formatRangeData(new Map([['a', [0, 1]] as const, ['b/c', [-0.5, 2.25]] as const]))).toBe(
      'a,0.000000,1.000000\r\nb/c,-0.500000,2.250000\r\n',
    );
  });
});

const DIMS = [1, 4, 32, 32];
const N = 4 * 32 * 32;
// s = sigmoid(x * w) where w is a weight; y = s + x: the Mul and Sigmoid outputs are quantised.
const { model } = encodeOnnxModel({
  inputs: [{ name: 'x', type: 'float32', dims: DIMS }],
  outputs: [{ name: 'y', type: 'float32', dims: DIMS }],
  nodes: [
    { op: 'Mul', inputs: ['x', 'w'], outputs: ['m'], name: 'mul' },
    { op: 'Sigmoid', inputs: ['m'], outputs: ['s'], name: 'sig' },
    { op: 'Add', inputs: ['s', 'x'], outputs: ['y'], name: 'add' },
  ],
  initializers: { w: new Tensor('float32', [1.5], []) },
});

function input(seed: number, spread: number): Tensor {
  let s = seed;
  return new Tensor(
    'float32',
    Float32Array.from({ length: N }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32 - 0.5) * spread;
    }),
    DIMS,
  );
}

describe('calibration and uint8 arithmetic', () => {
  it('records per-operator percentile ranges widened across runs, then quantises with them', async () => {
    const session = await InferenceSession.create(model, { backend: 'reference' });
    const runs = [input(1, 4), input(2, 8)];
    const ranges = await session.calibrate(runs.map((x) => ({ x })));
    // Each operator's range: the union of its outputs' 0.1 % percentile ranges over both runs.
    const mRanges = runs.map((x) =>
      percentileRange(Float32Array.from(x.data as Float32Array, (v) => v * 1.5)),
    );
    expect(ranges.get('mul')).toEqual([
      Math.min(...mRanges.map((r) => r[0])),
      Math.max(...mRanges.map((r) => r[1])),
    ]);
    expect([...ranges.keys()]).toEqual(['mul', 'sig', 'add']);
    await session.release();

    const x = input(3, 6);
    const ortSession = await ort.InferenceSession.create(model);
    const expected = (await ortSession.run({ x: new ort.Tensor('float32', x.data as Float32Array, DIMS) })).y
      .data as Float32Array;
    const q = await InferenceSession.create(model, {
      backend: 'reference',
      uint8Arithmetic: true,
      rangeData: ranges,
    });
    const { y } = await q.run({ x });
    const plan = await q.plan(new Map([['x', x]]));
    expect(plan.steps.map((st) => st.node.opType)).toEqual([
      'Mul',
      'StoreUint8',
      'LoadUint8',
      'Sigmoid',
      'StoreUint8',
      'LoadUint8',
      'Add',
    ]);
    // m is quantised with mul's range (step (hi-lo)/255) and s with sig's; sigmoid's slope is at most
    // 1/4, so |y - expected| <= step_m/2 * 1/4 + step_s/2, bar values outside the calibrated range.
    const step = (r: readonly [number, number]) => (Math.max(r[1], 0) - Math.min(r[0], 0)) / 255;
    const bound = step(ranges.get('mul')!) / 8 + step(ranges.get('sig')!) / 2 + 1e-6;
    let beyond = 0;
    const got = y.data as Float32Array;
    for (let i = 0; i < N; i++) if (Math.abs(got[i] - expected[i]) > bound) beyond++;
    expect(beyond).toBeLessThanOrEqual(N * 0.002);
    expect(got.some((v, i) => v !== expected[i])).toBe(true);
    await q.release();
  });

  it('names the operator whose range is missing', async () => {
    const q = await InferenceSession.create(model, {
      backend: 'reference',
      uint8Arithmetic: true,
      rangeData: new Map([['mul', [-1, 1]]]),
    });
    await expect(q.run({ x: input(1, 1) })).rejects.toThrow(/Sigmoid 'sig'.*range data not found/);
  });
});
