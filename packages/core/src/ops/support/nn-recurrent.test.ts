/**
 * RNN, GRU and LSTM beyond the ONNX conformance cases (which run forward, layout 0, default
 * activations): directions, layout 1, sequence lengths, activations with alpha/beta (OnnxStream
 * text attributes too), clip, GRU's linear_before_reset, LSTM's cell output and input_forget, and
 * the errors for inconsistent inputs. Expected values are the operators' formulas on scalars
 * (hidden and input size 1).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/tensor.js';
import { GRU } from '../gru.js';
import { LSTM } from '../lstm.js';
import type { OpDef } from '../op.js';
import { RNN } from '../rnn.js';
import { type AttrInput, callInfer, callTensorKernel } from './kernel-call.js';

const f32 = (values: number[], dims: number[]) => new Tensor('float32', values, dims);
const nums = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function expectClose(got: Tensor, want: number[]): void {
  const v = nums(got);
  expect(v.length).toBe(want.length);
  for (const [i, x] of v.entries()) expect(x).toBeCloseTo(want[i], 6);
}

const run = (
  op: OpDef,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, AttrInput> = {},
  outputCount = 2,
) => callTensorKernel(op, inputs, attrs, { outputCount });

/** RNN with hidden = input = 1: H = tanh(0.5 x + 0.25 H + 0.3). */
const W = f32([0.5], [1, 1, 1]);
const R = f32([0.25], [1, 1, 1]);
const B = f32([0.1, 0.2], [1, 2]);
const cell = (x: number, h: number) => Math.tanh(0.5 * x + 0.25 * h + 0.3);

/** The forward pass over xs from h0, every step's state. */
function forward(xs: number[], h0 = 0): number[] {
  const out: number[] = [];
  let h = h0;
  for (const x of xs) {
    h = cell(x, h);
    out.push(h);
  }
  return out;
}

describe('recurrent operators: directions, layouts and sequence lengths (RNN)', () => {
  it('forward: Y holds every step, Y_h the last', async () => {
    const [y, yh] = await run(RNN, [f32([1, 2, 3], [3, 1, 1]), W, R, B]);
    const states = forward([1, 2, 3]);
    expect(y.dims).toEqual([3, 1, 1, 1]);
    expectClose(y, states);
    expectClose(yh, [states[2]]);
  });

  it('reverse runs from the last step; Y keeps the time order', async () => {
    const [y, yh] = await run(RNN, [f32([1, 2, 3], [3, 1, 1]), W, R, B], { direction: 'reverse' });
    const [s3, s2, s1] = forward([3, 2, 1]);
    expectClose(y, [s1, s2, s3]);
    expectClose(yh, [s1]);
  });

  it('bidirectional in layout 1: Y (batch, seq, dirs, hidden), states (batch, dirs, hidden), initial_h per direction', async () => {
    const W2 = f32([0.5, 0.5], [2, 1, 1]);
    const R2 = f32([0.25, 0.25], [2, 1, 1]);
    const B2 = f32([0.1, 0.2, 0.1, 0.2], [2, 2]);
    const h0 = f32([0.1, -0.2], [1, 2, 1]);
    const [y, yh] = await run(RNN, [f32([1, 2], [1, 2, 1]), W2, R2, B2, undefined, h0], {
      direction: 'bidirectional',
      layout: 1,
    });
    const fw = forward([1, 2], 0.1);
    const [b2, b1] = forward([2, 1], -0.2);
    expect(y.dims).toEqual([1, 2, 2, 1]);
    expectClose(y, [fw[0], b1, fw[1], b2]);
    expect(yh.dims).toEqual([1, 2, 1]);
    expectClose(yh, [fw[1], b1]);
  });

  it('sequence_lens: a row stops after its length (Y is 0 past it), in both directions', async () => {
    // seq 3, batch 2: row 0 runs 3 steps, row 1 one step.
    const x = f32([1, 4, 2, 5, 3, 6], [3, 2, 1]);
    const lens = new Tensor('int32', [3, 1], [2]);
    const [y, yh] = await run(RNN, [x, W, R, B, lens]);
    const a = forward([1, 2, 3]);
    const [b] = forward([4]);
    expectClose(y, [a[0], b, a[1], 0, a[2], 0]);
    expectClose(yh, [a[2], b]);
    const [yr, yhr] = await run(RNN, [x, W, R, B, lens], { direction: 'reverse' });
    const [r3, r2, r1] = forward([3, 2, 1]);
    expectClose(yr, [r1, b, r2, 0, r3, 0]);
    expectClose(yhr, [r1, b]);
  });

  it('a zero sequence length keeps initial_h', async () => {
    const [, yh] = await run(RNN, [
      f32([1], [1, 1, 1]),
      W,
      R,
      B,
      new Tensor('int32', [0], [1]),
      f32([0.7], [1, 1, 1]),
    ]);
    expectClose(yh, [0.7]);
  });

  it('activations with alpha/beta as OnnxStream text, and clip on the pre-activation', async () => {
    const text = (value: string): AttrInput => ({ type: 'text', value });
    const attrs = {
      activations: text('Affine'),
      activation_alpha: text('2'),
      activation_beta: text('0.5'),
      hidden_size: text('1'),
    };
    const [, yh] = await run(RNN, [f32([1], [1, 1, 1]), W, R, B], attrs);
    expectClose(yh, [2 * 0.8 + 0.5]);
    const [, clipped] = await run(RNN, [f32([1], [1, 1, 1]), W, R, B], { ...attrs, clip: text('0.5') });
    expectClose(clipped, [2 * 0.5 + 0.5]);
  });

  it('activation names are case-insensitive and take their ONNX defaults (LeakyRelu alpha 0.01)', async () => {
    const [, yh] = await run(RNN, [f32([-4], [1, 1, 1]), W, R, B], { activations: ['leakyrelu'] });
    expectClose(yh, [0.01 * (0.5 * -4 + 0.3)]);
  });

  it('infers Y and the states in both layouts, unknown sizes staying unknown', () => {
    const x = { type: 'float32' as const, dims: ['T', 4, 3] };
    const r = { type: 'float32' as const, dims: [2, 5, 5] };
    expect(callInfer(RNN, [x, undefined, r], { direction: 'bidirectional' }, { outputCount: 2 })).toEqual([
      { type: 'float32', dims: ['T', 2, 4, 5] },
      { type: 'float32', dims: [2, 4, 5] },
    ]);
    const batchFirst = { type: 'float32' as const, dims: [4, 'T', 3] };
    expect(callInfer(LSTM, [batchFirst], { hidden_size: 7, layout: 1 }, { outputCount: 3 })).toEqual([
      { type: 'float32', dims: [4, 'T', 1, 7] },
      { type: 'float32', dims: [4, 1, 7] },
      { type: 'float32', dims: [4, 1, 7] },
    ]);
  });

  it('rejects inconsistent inputs and attributes', async () => {
    const x = f32([1, 2, 3], [3, 1, 1]);
    await expect(run(RNN, [x, f32([0.5, 0.5], [1, 1, 2]), R])).rejects.toThrow(
      /W has shape \[1,1,2\], expected \[1,1,1\]/,
    );
    await expect(run(RNN, [x, W, R], { direction: 'sideways' })).rejects.toThrow(/direction must be/);
    await expect(run(RNN, [x, W, R], { activations: ['Cube'] })).rejects.toThrow(
      /unknown activation function 'Cube'/,
    );
    await expect(run(RNN, [x, W, R, B, new Tensor('int32', [4], [1])])).rejects.toThrow(
      /sequence length 4 is not in \[0, 3\]/,
    );
    await expect(run(RNN, [x, W, R, undefined, undefined, f32([0, 0], [1, 2, 1])])).rejects.toThrow(
      /initial_h has shape \[1,2,1\], expected \[1,1,1\]/,
    );
  });
});

describe('GRU', () => {
  // Gates z, r, h; hidden = input = 1; x = 1, H0 = 0.5.
  const w = f32([0.1, 0.2, 0.3], [1, 3, 1]);
  const r = f32([0.4, 0.5, 0.6], [1, 3, 1]);
  const b = f32([0.01, 0.02, 0.03, 0.04, 0.05, 0.06], [1, 6]);
  const inputs = [f32([1], [1, 1, 1]), w, r, b, undefined, f32([0.5], [1, 1, 1])];
  const z = sigmoid(0.1 + 0.4 * 0.5 + 0.01 + 0.04);
  const rg = sigmoid(0.2 + 0.5 * 0.5 + 0.02 + 0.05);

  it('applies the reset gate before Rh by default', async () => {
    const n = Math.tanh(0.3 + 0.6 * (rg * 0.5) + 0.06 + 0.03);
    const [, yh] = await run(GRU, inputs);
    expectClose(yh, [(1 - z) * n + z * 0.5]);
  });

  it('linear_before_reset scales Rh.H + Rbh by the reset gate', async () => {
    const n = Math.tanh(0.3 + rg * (0.6 * 0.5 + 0.06) + 0.03);
    const [, yh] = await run(GRU, inputs, { linear_before_reset: 1 });
    expectClose(yh, [(1 - z) * n + z * 0.5]);
  });
});

describe('LSTM', () => {
  // Gates i, o, f, c; peepholes (Pi, Po, Pf); hidden = input = 1; x = 1, H0 = 0.2, C0 = 0.3.
  const w = f32([0.1, 0.2, 0.3, 0.4], [1, 4, 1]);
  const r = f32([0.5, 0.6, 0.7, 0.8], [1, 4, 1]);
  const p = f32([0.05, 0.06, 0.07], [1, 3]);
  const inputs = [
    f32([1], [1, 1, 1]),
    w,
    r,
    undefined,
    undefined,
    f32([0.2], [1, 1, 1]),
    f32([0.3], [1, 1, 1]),
    p,
  ];
  const pre = (k: number) => (w.data[k] as number) + (r.data[k] as number) * 0.2;
  const i = sigmoid(pre(0) + 0.05 * 0.3);

  it('outputs Y, Y_h and Y_c with peepholes', async () => {
    const f = sigmoid(pre(2) + 0.07 * 0.3);
    const c = f * 0.3 + i * Math.tanh(pre(3));
    const o = sigmoid(pre(1) + 0.06 * c);
    const [y, yh, yc] = await run(LSTM, inputs, {}, 3);
    expectClose(y, [o * Math.tanh(c)]);
    expectClose(yh, [o * Math.tanh(c)]);
    expectClose(yc, [c]);
  });

  it('input_forget couples the forget gate to 1 - i', async () => {
    const c = (1 - i) * 0.3 + i * Math.tanh(pre(3));
    const o = sigmoid(pre(1) + 0.06 * c);
    const [, yh, yc] = await run(LSTM, inputs, { input_forget: 1 }, 3);
    expectClose(yh, [o * Math.tanh(c)]);
    expectClose(yc, [c]);
  });

  it('rejects peepholes of the wrong size', async () => {
    const bad = [...inputs.slice(0, 7), f32([0, 0], [1, 2])];
    await expect(run(LSTM, bad)).rejects.toThrow(/P has shape \[1,2\], expected \[1,3\]/);
  });
});
