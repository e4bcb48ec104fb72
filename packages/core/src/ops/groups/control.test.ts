/**
 * Kernel tests for the control group's operators where the ONNX conformance data does not reach:
 * random generators (statistics, seeds), transform lengths, text attributes (OnnxStream
 * model.txt), string edge cases, opset-1 ML semantics and error messages.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../graph/graph.js';
import { asNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import { Bernoulli } from '../bernoulli.js';
import { Det } from '../det.js';
import { DFT } from '../dft.js';
import { HannWindow } from '../hann-window.js';
import { LabelEncoder } from '../label-encoder.js';
import { MaxRoiPool } from '../max-roi-pool.js';
import { Multinomial } from '../multinomial.js';
import { NegativeLogLikelihoodLoss } from '../negative-log-likelihood-loss.js';
import { RandomNormal } from '../random-normal.js';
import { RandomUniform } from '../random-uniform.js';
import { RandomUniformLike } from '../random-uniform-like.js';
import { RegexFullMatch } from '../regex-full-match.js';
import { STFT } from '../stft.js';
import { StringNormalizer } from '../string-normalizer.js';
import { StringSplit } from '../string-split.js';
import { callTensorKernel } from '../support/kernel-call.js';
import { TfIdfVectorizer } from '../tf-idf-vectorizer.js';

const text = (value: string): AttrValue => ({ type: 'text', value });
const nums = (t: Tensor) => Array.from(asNumbers(t));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('random generators', () => {
  it('RandomUniform: shape, dtype, range, mean; a seed repeats its values', async () => {
    const attrs = { shape: [100, 100], low: -2, high: 4, seed: 3 };
    const [a] = await callTensorKernel(RandomUniform, [], attrs);
    expect(a.type).toBe('float32');
    expect(a.dims).toEqual([100, 100]);
    const v = nums(a);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(4);
    expect(mean(v)).toBeCloseTo(1, 1);
    const [again] = await callTensorKernel(RandomUniform, [], attrs);
    const [reseeded] = await callTensorKernel(RandomUniform, [], { ...attrs, seed: 4 });
    expect(nums(again)).toEqual(v);
    expect(nums(reseeded)).not.toEqual(v);
  });

  it('RandomNormal: mean and standard deviation; dtype double', async () => {
    const [t] = await callTensorKernel(RandomNormal, [], { shape: [20000], mean: 5, scale: 2, dtype: 11 });
    expect(t.type).toBe('float64');
    const v = nums(t);
    const m = mean(v);
    const sd = Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
    expect(m).toBeCloseTo(5, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('RandomUniformLike takes the input’s shape and type unless dtype is given', async () => {
    const x = new Tensor('float16', new Uint16Array(6), [2, 3]);
    const [same] = await callTensorKernel(RandomUniformLike, [x]);
    expect([same.type, same.dims]).toEqual(['float16', [2, 3]]);
    const [f64] = await callTensorKernel(RandomUniformLike, [x], { dtype: 11 });
    expect(f64.type).toBe('float64');
  });

  it('Bernoulli: probabilities 0 and 1 are certain, 0.3 averages 0.3', async () => {
    const p = new Tensor(
      'float32',
      Float32Array.from({ length: 10000 }, (_, i) => (i < 10 ? 0 : i < 20 ? 1 : 0.3)),
      [10000],
    );
    const [draws] = await callTensorKernel(Bernoulli, [p], { seed: 1 });
    const v = nums(draws);
    expect(v.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(v.slice(10, 20)).toEqual(new Array(10).fill(1));
    expect(mean(v.slice(20))).toBeCloseTo(0.3, 1);
  });

  it('Multinomial samples from the softmax of each row (int32 by default)', async () => {
    const logits = new Tensor('float32', [0, Number.NEGATIVE_INFINITY, Math.log(1), Math.log(3)], [2, 2]);
    const [s] = await callTensorKernel(Multinomial, [logits], { sample_size: 4000, seed: 7 });
    expect(s.type).toBe('int32');
    expect(s.dims).toEqual([2, 4000]);
    const v = nums(s);
    expect(v.slice(0, 4000).every((k) => k === 0)).toBe(true);
    expect(mean(v.slice(4000))).toBeCloseTo(0.75, 1);
  });
});

/** Naive O(n^2) DFT along the last axis of a complex [n, 2] signal. */
function naiveDft(x: number[], n: number, sign: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * j * k) / n;
      re += x[2 * j] * Math.cos(a) - x[2 * j + 1] * Math.sin(a);
      im += x[2 * j] * Math.sin(a) + x[2 * j + 1] * Math.cos(a);
    }
    out.push(re, im);
  }
  return out;
}

function expectClose(got: number[], want: number[], tol = 1e-9): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i])));
}

describe('DFT and STFT', () => {
  it('matches the definition for every length (radix-2 and Bluestein), forward and inverse', async () => {
    for (const n of [1, 2, 3, 5, 7, 8, 12, 13, 16, 31]) {
      const signal = Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
      const x = new Tensor('float64', signal, [1, n, 2]);
      const [forward] = await callTensorKernel(DFT, [x], {}, { opset: 19 });
      expectClose(nums(forward), naiveDft(signal, n, -1));
      const [inverse] = await callTensorKernel(DFT, [x], { inverse: 1 }, { opset: 19 });
      expectClose(
        nums(inverse),
        naiveDft(signal, n, 1).map((v) => v / n),
      );
    }
  });

  it('irfft of an odd-length rfft gives the signal back (dft_length input, axis input of opset 20)', async () => {
    const signal = [3, -1, 4, 1, -5, 9, 2];
    const x = new Tensor('float64', signal, [7, 1]);
    const axis = new Tensor('int64', [0n], []);
    const [spectrum] = await callTensorKernel(DFT, [x, undefined, axis], { onesided: 1 }, { opset: 20 });
    expect(spectrum.dims).toEqual([4, 2]);
    const [back] = await callTensorKernel(
      DFT,
      [spectrum, new Tensor('int64', [7n], []), axis],
      { onesided: 1, inverse: 1 },
      { opset: 20 },
    );
    expect(back.dims).toEqual([7, 1]);
    expectClose(nums(back), signal);
  });

  it('STFT frames, windows and transforms each frame', async () => {
    const signal = [1, 2, 3, 4, 5, 6];
    const x = new Tensor('float64', signal, [1, 6, 1]);
    const window = new Tensor('float64', [1, 0.5, 0.25, 0], [4]);
    const [y] = await callTensorKernel(
      STFT,
      [x, new Tensor('int64', [2n], []), window],
      { onesided: 0 },
      { opset: 17 },
    );
    expect(y.dims).toEqual([1, 2, 4, 2]);
    const frame = (s: number) => [0, 1, 2, 3].flatMap((j) => [signal[s + j] * [1, 0.5, 0.25, 0][j], 0]);
    expectClose(nums(y), [...naiveDft(frame(0), 4, -1), ...naiveDft(frame(2), 4, -1)]);
  });

  it('HannWindow: periodic by default; `periodic` as OnnxStream text', async () => {
    const size = new Tensor('int32', [4], []);
    const [periodic] = await callTensorKernel(HannWindow, [size]);
    expectClose(nums(periodic), [0, 0.5, 1, 0.5], 1e-7);
    const [symmetric] = await callTensorKernel(HannWindow, [new Tensor('int32', [5], [])], {
      periodic: text('0'),
    });
    expectClose(nums(symmetric), [0, 0.5, 1, 0.5, 0], 1e-7);
  });
});

describe('strings', () => {
  it('StringSplit on whitespace skips runs and ends; maxsplit keeps the rest', async () => {
    const x = new Tensor('string', ['  a  b\tc ', '', 'one'], [3]);
    const [parts, counts] = await callTensorKernel(StringSplit, [x], {}, { opset: 20, outputCount: 2 });
    expect(parts.dims).toEqual([3, 3]);
    expect(parts.data).toEqual(['a', 'b', 'c', '', '', '', 'one', '', '']);
    expect(nums(counts)).toEqual([3, 0, 1]);
    const [limited] = await callTensorKernel(
      StringSplit,
      [x],
      { maxsplit: 1 },
      { opset: 20, outputCount: 2 },
    );
    expect(limited.data).toEqual(['a', 'b\tc ', '', '', 'one', '']);
  });

  it('StringNormalizer drops stopwords ignoring case, then changes case; [1, C] stays 2-D', async () => {
    const x = new Tensor('string', ['Monday', 'tuesday', 'MONDAY', 'Wed'], [1, 4]);
    const [y] = await callTensorKernel(
      StringNormalizer,
      [x],
      { stopwords: ['monday'], case_change_action: 'LOWER' },
      { opset: 10 },
    );
    expect(y.dims).toEqual([1, 2]);
    expect(y.data).toEqual(['tuesday', 'wed']);
    const [sensitive] = await callTensorKernel(
      StringNormalizer,
      [x],
      { stopwords: ['monday'], is_case_sensitive: 1 },
      { opset: 10 },
    );
    expect(sensitive.data).toEqual(['Monday', 'tuesday', 'MONDAY', 'Wed']);
  });

  it('RegexFullMatch anchors the whole string and accepts RE2 named groups', async () => {
    const x = new Tensor('string', ['ab12', 'ab12x', '1ab12'], [3]);
    const [y] = await callTensorKernel(
      RegexFullMatch,
      [x],
      { pattern: '(?P<word>[a-z]+)\\d+' },
      { opset: 20 },
    );
    expect(nums(y)).toEqual([1, 0, 0]);
  });

  it('TfIdfVectorizer counts string unigrams and skip-bigrams with IDF weights', async () => {
    const x = new Tensor('string', ['a', 'x', 'b', 'a', 'b'], [5]);
    const attrs = {
      mode: 'TFIDF',
      min_gram_length: 1,
      max_gram_length: 2,
      max_skip_count: 1,
      ngram_counts: [0, 2],
      ngram_indexes: [0, 1, 2],
      pool_strings: ['a', 'b', 'a', 'b'],
      weights: [1, 10, 100],
    };
    // Unigrams a (2), b (2); bigram "a b" adjacent once and with one skipped token once.
    const [y] = await callTensorKernel(TfIdfVectorizer, [x], attrs, { opset: 9 });
    expect(nums(y)).toEqual([2, 20, 200]);
  });
});

describe('ai.onnx.ml LabelEncoder', () => {
  it('opset 1 maps strings to class indices and back', async () => {
    const classes = { classes_strings: ['cat', 'dog'] };
    const [ids] = await callTensorKernel(LabelEncoder, [new Tensor('string', ['dog', 'cow'], [2])], classes, {
      opset: 1,
    });
    expect([ids.type, ...nums(ids)]).toEqual(['int64', 1, -1]);
    const [names] = await callTensorKernel(LabelEncoder, [new Tensor('int64', [0n, 5n], [2])], classes, {
      opset: 1,
    });
    expect(names.data).toEqual(['cat', '_Unused']);
  });

  it('float keys to string values, NaN included', async () => {
    const attrs = {
      keys_floats: [1.5, Number.NaN],
      values_strings: ['x', 'nan'],
    };
    const [y] = await callTensorKernel(
      LabelEncoder,
      [new Tensor('float32', [Number.NaN, 1.5, 2], [3])],
      attrs,
      { opset: 2 },
    );
    expect(y.data).toEqual(['nan', 'x', '_Unused']);
  });
});

describe('geometry and losses', () => {
  it('MaxRoiPool: max over rounded region bins', async () => {
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 16 }, (_, i) => i),
      [1, 1, 4, 4],
    );
    const rois = new Tensor('float32', [0, 0, 0, 3, 3, 0, 1, 1, 1, 1], [2, 5]);
    const [y] = await callTensorKernel(MaxRoiPool, [x, rois], { pooled_shape: [2, 2] }, { opset: 1 });
    expect(y.dims).toEqual([2, 1, 2, 2]);
    expect(nums(y)).toEqual([5, 7, 13, 15, 5, 5, 5, 5]);
  });

  it('NegativeLogLikelihoodLoss reads reduction and ignore_index as OnnxStream text', async () => {
    const x = new Tensor('float32', [-1, -2, -3, -4, -5, -6], [2, 3]);
    const t = new Tensor('int64', [2n, 0n], [2]);
    const [sum] = await callTensorKernel(NegativeLogLikelihoodLoss, [x, t], { reduction: text('sum') });
    const [ignored] = await callTensorKernel(NegativeLogLikelihoodLoss, [x, t], { ignore_index: text('0') });
    expect(nums(sum)).toEqual([7]);
    expect(nums(ignored)).toEqual([3]);
  });

  it('reports bad shapes and classes clearly', async () => {
    const x = new Tensor('float32', [-1, -2, -3, -4, -5, -6], [2, 3]);
    await expect(
      callTensorKernel(NegativeLogLikelihoodLoss, [x, new Tensor('int64', [0n, 1n, 2n], [3])]),
    ).rejects.toThrow('target shape [3] does not match input shape [2,3]');
    await expect(
      callTensorKernel(NegativeLogLikelihoodLoss, [x, new Tensor('int64', [0n, 3n], [2])]),
    ).rejects.toThrow('target class 3 is outside [0, 3)');
    await expect(callTensorKernel(Det, [new Tensor('float32', new Float32Array(6), [2, 3])])).rejects.toThrow(
      'input must be [*, M, M], got [2,3]',
    );
  });

  it('Det of a batch, with pivoting', async () => {
    const m = new Tensor('float64', [0, 2, 3, 4, 2, 0, 0, 2], [2, 2, 2]);
    const [det] = await callTensorKernel(Det, [m]);
    expect(nums(det)).toEqual([-6, 4]);
  });
});
