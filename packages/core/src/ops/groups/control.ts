/** Control flow (If, Loop, Scan), sequences, losses and the remaining operators. */
import { Adagrad } from '../adagrad.js';
import { Adam } from '../adam.js';
import { AffineGrid } from '../affine-grid.js';
import { ArrayFeatureExtractor } from '../array-feature-extractor.js';
import { Bernoulli } from '../bernoulli.js';
import { Binarizer } from '../binarizer.js';
import { BlackmanWindow } from '../blackman-window.js';
import { ConcatFromSequence } from '../concat-from-sequence.js';
import { Det } from '../det.js';
import { DFT } from '../dft.js';
import { GridSample } from '../grid-sample.js';
import { HammingWindow } from '../hamming-window.js';
import { HannWindow } from '../hann-window.js';
import { If } from '../if.js';
import { LabelEncoder } from '../label-encoder.js';
import { Loop } from '../loop.js';
import { MaxRoiPool } from '../max-roi-pool.js';
import { MaxUnpool } from '../max-unpool.js';
import { MelWeightMatrix } from '../mel-weight-matrix.js';
import { Momentum } from '../momentum.js';
import { Multinomial } from '../multinomial.js';
import { NegativeLogLikelihoodLoss } from '../negative-log-likelihood-loss.js';
import type { OpDef } from '../op.js';
import { Optional } from '../optional.js';
import { OptionalGetElement } from '../optional-get-element.js';
import { OptionalHasElement } from '../optional-has-element.js';
import { RandomNormal } from '../random-normal.js';
import { RandomNormalLike } from '../random-normal-like.js';
import { RandomUniform } from '../random-uniform.js';
import { RandomUniformLike } from '../random-uniform-like.js';
import { RegexFullMatch } from '../regex-full-match.js';
import { RoiAlign } from '../roi-align.js';
import { Scan } from '../scan.js';
import { SequenceAt } from '../sequence-at.js';
import { SequenceConstruct } from '../sequence-construct.js';
import { SequenceEmpty } from '../sequence-empty.js';
import { SequenceErase } from '../sequence-erase.js';
import { SequenceInsert } from '../sequence-insert.js';
import { SequenceLength } from '../sequence-length.js';
import { SequenceMap } from '../sequence-map.js';
import { SoftmaxCrossEntropyLoss } from '../softmax-cross-entropy-loss.js';
import { SplitToSequence } from '../split-to-sequence.js';
import { STFT } from '../stft.js';
import { StringConcat } from '../string-concat.js';
import { StringNormalizer } from '../string-normalizer.js';
import { StringSplit } from '../string-split.js';
import { TfIdfVectorizer } from '../tf-idf-vectorizer.js';
import { TreeEnsemble } from '../tree-ensemble.js';

export const CONTROL_OPS: readonly OpDef[] = [
  // Control flow.
  If,
  Loop,
  Scan,
  // Losses.
  NegativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss,
  // Geometry and sampling.
  AffineGrid,
  Det,
  GridSample,
  MaxRoiPool,
  MaxUnpool,
  RoiAlign,
  // Signal processing.
  BlackmanWindow,
  DFT,
  HammingWindow,
  HannWindow,
  MelWeightMatrix,
  STFT,
  // Random generators.
  Bernoulli,
  Multinomial,
  RandomNormal,
  RandomNormalLike,
  RandomUniform,
  RandomUniformLike,
  // Strings and text.
  RegexFullMatch,
  StringConcat,
  StringNormalizer,
  StringSplit,
  TfIdfVectorizer,
  // ai.onnx.ml.
  ArrayFeatureExtractor,
  Binarizer,
  LabelEncoder,
  TreeEnsemble,
  // ai.onnx.preview.training.
  Adagrad,
  Adam,
  Momentum,
  // Optionals.
  OptionalGetElement,
  OptionalHasElement,
  // Sequences; Optional.
  ConcatFromSequence,
  Optional,
  SequenceAt,
  SequenceConstruct,
  SequenceEmpty,
  SequenceErase,
  SequenceInsert,
  SequenceLength,
  SequenceMap,
  SplitToSequence,
];
