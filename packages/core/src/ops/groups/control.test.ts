/**
 * Kernel tests for the control group's operators where the ONNX conformance data does not reach:
 * random generators (statistics, seeds), transform lengths, text attributes (OnnxStream
 * model.txt), string edge cases, opset-1 ML semantics and error messages.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue, Node } from '../../graph/graph.js';
import { asNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import { Attributes } from '../attributes.js';
import { Bernoulli } from '../bernoulli.js';
import { Det } from '../det.js';
import { DFT } from '../dft.js';
import { HannWindow } from '../hann-window.js';
import { LabelEncoder } from '../label-encoder.js';
import { MaxRoiPool } from '../max-roi-pool.js';
import { Multinomial } from '../multinomial.js';
import { NegativeLogLikelihoodLoss } from '../negative-log-likelihood-loss.js';
import type { OpDef } from '../op.js';
import { RandomNormal } from '../random-normal.js';
import { RandomUniform } from '../random-uniform.js';
import { RandomUniformLike } from '../random-uniform-like.js';
import { RegexFullMatch } from '../regex-full-match.js';
import { STFT } from '../stft.js';
import { StringNormalizer } from '../string-normalizer.js';
import { StringSplit } from '../string-split.js';
import { TfIdfVectorizer } from '../tf-idf-vectorizer.js';

type Attrs = Record<string, AttrValue>;

function run(
  op: OpDef,
  inputs: (Tensor | undefined)[],
  attrs: Attrs = {},
  opset = 22,
  outputCount = 1,
): Tensor[] {
  const node: Node = {
    name: 'n',
    opType: op.type,
    domain: op.domain ?? '',
    inputs: [],
    outputs: [],
    attributes: new Map(Object.entries(attrs)),
  };
  const ctx = {
    inputs,
    attrs: new Attributes(node.attributes),
    opset,
    outputCount,
    node,
    runSubgraph: () => Promise.reject(new Error('no subgraphs here')),
  };
  return op.run(ctx) as Tensor[];
}

const int = (value: number): AttrValue => ({ type: 'int', value });
const float = (value: number): AttrValue => ({ type: 'float', value });
const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const str = (value: string): AttrValue => ({ type: 'string', value });
const strs = (value: string[]): AttrValue => ({ type: 'strings', value });
const text = (value: string): AttrValue => ({ type: 'text', value });
const nums = (t: Tensor) => Array.from(asNumbers(t));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('random generators', () => {
  it('RandomUniform: shape, dtype, range, mean; a seed repeats its values', () => {
    const attrs = { shape: ints([100, 100]), low: float(-2), high: float(4), seed: float(3) };
    const [a] = run(RandomUniform, [], attrs);
    expect(a.type).toBe('float32');
    expect(a.dims).toEqual([100, 100]);
    const v = nums(a);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(4);
    expect(mean(v)).toBeCloseTo(1, 1);
    expect(nums(run(RandomUniform, [], attrs)[0])).toEqual(v);
    expect(nums(run(RandomUniform, [], { ...attrs, seed: float(4) })[0])).not.toEqual(v);
  });

  it('RandomNormal: mean and standard deviation; dtype double', () => {
    const [t] = run(RandomNormal, [], {
      shape: ints([20000]),
      mean: float(5),
      scale: float(2),
      dtype: int(11),
    });
    expect(t.type).toBe('float64');
    const v = nums(t);
    const m = mean(v);
    const sd = Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
    expect(m).toBeCloseTo(5, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('RandomUniformLike takes the input’s shape and type unless dtype is given', () => {
    const x = new Tensor('float16', new Uint16Array(6), [2, 3]);
    const [same] = run(RandomUniformLike, [x]);
    expect([same.type, same.dims]).toEqual(['float16', [2, 3]]);
    const [f64] = run(RandomUniformLike, [x], { dtype: int(11) });
    expect(f64.type).toBe('float64');
  });

  it('Bernoulli: probabilities 0 and 1 are certain, 0.3 averages 0.3', () => {
    const p = new Tensor(
      'float32',
      Float32Array.from({ length: 10000 }, (_, i) => (i < 10 ? 0 : i < 20 ? 1 : 0.3)),
      [10000],
    );
    const v = nums(run(Bernoulli, [p], { seed: float(1) })[0]);
    expect(v.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(v.slice(10, 20)).toEqual(new Array(10).fill(1));
    expect(mean(v.slice(20))).toBeCloseTo(0.3, 1);
  });

  it('Multinomial samples from the softmax of each row (int32 by default)', () => {
    const logits = new Tensor('float32', [0, Number.NEGATIVE_INFINITY, Math.log(1), Math.log(3)], [2, 2]);
    const [s] = run(Multinomial, [logits], { sample_size: int(4000), seed: float(7) });
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
  it('matches the definition for every length (radix-2 and Bluestein), forward and inverse', () => {
    for (const n of [1, 2, 3, 5, 7, 8, 12, 13, 16, 31]) {
      const signal = Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
      const x = new Tensor('float64', signal, [1, n, 2]);
      expectClose(nums(run(DFT, [x], {}, 19)[0]), naiveDft(signal, n, -1));
      const inverse = naiveDft(signal, n, 1).map((v) => v / n);
      expectClose(nums(run(DFT, [x], { inverse: int(1) }, 19)[0]), inverse);
    }
  });

  it('irfft of an odd-length rfft gives the signal back (dft_length input, axis input of opset 20)', () => {
    const signal = [3, -1, 4, 1, -5, 9, 2];
    const x = new Tensor('float64', signal, [7, 1]);
    const axis = new Tensor('int64', [0n], []);
    const [spectrum] = run(DFT, [x, undefined, axis], { onesided: int(1) }, 20);
    expect(spectrum.dims).toEqual([4, 2]);
    const [back] = run(
      DFT,
      [spectrum, new Tensor('int64', [7n], []), axis],
      { onesided: int(1), inverse: int(1) },
      20,
    );
    expect(back.dims).toEqual([7, 1]);
    expectClose(nums(back), signal);
  });

  it('STFT frames, windows and transforms each frame', () => {
    const signal = [1, 2, 3, 4, 5, 6];
    const x = new Tensor('float64', signal, [1, 6, 1]);
    const window = new Tensor('float64', [1, 0.5, 0.25, 0], [4]);
    const [y] = run(STFT, [x, new Tensor('int64', [2n], []), window], { onesided: int(0) }, 17);
    expect(y.dims).toEqual([1, 2, 4, 2]);
    const frame = (s: number) => [0, 1, 2, 3].flatMap((j) => [signal[s + j] * [1, 0.5, 0.25, 0][j], 0]);
    expectClose(nums(y), [...naiveDft(frame(0), 4, -1), ...naiveDft(frame(2), 4, -1)]);
  });

  it('HannWindow: periodic by default; `periodic` as OnnxStream text', () => {
    const size = new Tensor('int32', [4], []);
    expectClose(nums(run(HannWindow, [size])[0]), [0, 0.5, 1, 0.5], 1e-7);
    expectClose(
      nums(run(HannWindow, [new Tensor('int32', [5], [])], { periodic: text('0') })[0]),
      [0, 0.5, 1, 0.5, 0],
      1e-7,
    );
  });
});

describe('strings', () => {
  it('StringSplit on whitespace skips runs and ends; maxsplit keeps the rest', () => {
    const x = new Tensor('string', ['  a  b\tc ', '', 'one'], [3]);
    const [parts, counts] = run(StringSplit, [x], {}, 20, 2);
    expect(parts.dims).toEqual([3, 3]);
    expect(parts.data).toEqual(['a', 'b', 'c', '', '', '', 'one', '', '']);
    expect(nums(counts)).toEqual([3, 0, 1]);
    const [limited] = run(StringSplit, [x], { maxsplit: int(1) }, 20, 2);
    expect(limited.data).toEqual(['a', 'b\tc ', '', '', 'one', '']);
  });

  it('StringNormalizer drops stopwords ignoring case, then changes case; [1, C] stays 2-D', () => {
    const x = new Tensor('string', ['Monday', 'tuesday', 'MONDAY', 'Wed'], [1, 4]);
    const [y] = run(
      StringNormalizer,
      [x],
      { stopwords: strs(['monday']), case_change_action: str('LOWER') },
      10,
    );
    expect(y.dims).toEqual([1, 2]);
    expect(y.data).toEqual(['tuesday', 'wed']);
    const [sensitive] = run(
      StringNormalizer,
      [x],
      { stopwords: strs(['monday']), is_case_sensitive: int(1) },
      10,
    );
    expect(sensitive.data).toEqual(['Monday', 'tuesday', 'MONDAY', 'Wed']);
  });

  it('RegexFullMatch anchors the whole string and accepts RE2 named groups', () => {
    const x = new Tensor('string', ['ab12', 'ab12x', '1ab12'], [3]);
    const [y] = run(RegexFullMatch, [x], { pattern: str('(?P<word>[a-z]+)\\d+') }, 20);
    expect(nums(y)).toEqual([1, 0, 0]);
  });

  it('TfIdfVectorizer counts string unigrams and skip-bigrams with IDF weights', () => {
    const x = new Tensor('string', ['a', 'x', 'b', 'a', 'b'], [5]);
    const attrs = {
      mode: str('TFIDF'),
      min_gram_length: int(1),
      max_gram_length: int(2),
      max_skip_count: int(1),
      ngram_counts: ints([0, 2]),
      ngram_indexes: ints([0, 1, 2]),
      pool_strings: strs(['a', 'b', 'a', 'b']),
      weights: { type: 'floats', value: [1, 10, 100] } as AttrValue,
    };
    // Unigrams a (2), b (2); bigram "a b" adjacent once and with one skipped token once.
    expect(nums(run(TfIdfVectorizer, [x], attrs, 9)[0])).toEqual([2, 20, 200]);
  });
});

describe('ai.onnx.ml LabelEncoder', () => {
  it('opset 1 maps strings to class indices and back', () => {
    const classes = { classes_strings: strs(['cat', 'dog']) };
    const [ids] = run(LabelEncoder, [new Tensor('string', ['dog', 'cow'], [2])], classes, 1);
    expect([ids.type, ...nums(ids)]).toEqual(['int64', 1, -1]);
    const [names] = run(LabelEncoder, [new Tensor('int64', [0n, 5n], [2])], classes, 1);
    expect(names.data).toEqual(['cat', '_Unused']);
  });

  it('float keys to string values, NaN included', () => {
    const attrs = {
      keys_floats: { type: 'floats', value: [1.5, Number.NaN] } as AttrValue,
      values_strings: strs(['x', 'nan']),
    };
    const [y] = run(LabelEncoder, [new Tensor('float32', [Number.NaN, 1.5, 2], [3])], attrs, 2);
    expect(y.data).toEqual(['nan', 'x', '_Unused']);
  });
});

describe('geometry and losses', () => {
  it('MaxRoiPool: max over rounded region bins', () => {
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 16 }, (_, i) => i),
      [1, 1, 4, 4],
    );
    const rois = new Tensor('float32', [0, 0, 0, 3, 3, 0, 1, 1, 1, 1], [2, 5]);
    const [y] = run(MaxRoiPool, [x, rois], { pooled_shape: ints([2, 2]) }, 1);
    expect(y.dims).toEqual([2, 1, 2, 2]);
    expect(nums(y)).toEqual([5, 7, 13, 15, 5, 5, 5, 5]);
  });

  it('NegativeLogLikelihoodLoss reads reduction and ignore_index as OnnxStream text', () => {
    const x = new Tensor('float32', [-1, -2, -3, -4, -5, -6], [2, 3]);
    const t = new Tensor('int64', [2n, 0n], [2]);
    expect(nums(run(NegativeLogLikelihoodLoss, [x, t], { reduction: text('sum') })[0])).toEqual([7]);
    expect(nums(run(NegativeLogLikelihoodLoss, [x, t], { ignore_index: text('0') })[0])).toEqual([3]);
  });

  it('reports bad shapes and classes clearly', () => {
    const x = new Tensor('float32', [-1, -2, -3, -4, -5, -6], [2, 3]);
    expect(() => run(NegativeLogLikelihoodLoss, [x, new Tensor('int64', [0n, 1n, 2n], [3])])).toThrow(
      'target shape [3] does not match input shape [2,3]',
    );
    expect(() => run(NegativeLogLikelihoodLoss, [x, new Tensor('int64', [0n, 3n], [2])])).toThrow(
      'target class 3 is outside [0, 3)',
    );
    expect(() => run(Det, [new Tensor('float32', new Float32Array(6), [2, 3])])).toThrow(
      'input must be [*, M, M], got [2,3]',
    );
  });

  it('Det of a batch, with pivoting', () => {
    const m = new Tensor('float64', [0, 2, 3, 4, 2, 0, 0, 2], [2, 2, 2]);
    expect(nums(run(Det, [m])[0])).toEqual([-6, 4]);
  });
});
