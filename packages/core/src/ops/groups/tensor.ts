/** Shape and data-movement operators, reductions, indexing, generators. */
import { ArgMax } from '../arg-max.js';
import { ArgMin } from '../arg-min.js';
import { CenterCropPad } from '../center-crop-pad.js';
import { Compress } from '../compress.js';
import { Concat } from '../concat.js';
import { Constant } from '../constant.js';
import { ConstantOfShape } from '../constant-of-shape.js';
import { CumProd } from '../cum-prod.js';
import { CumSum } from '../cum-sum.js';
import { DepthToSpace } from '../depth-to-space.js';
import { Dropout } from '../dropout.js';
import { Expand } from '../expand.js';
import { EyeLike } from '../eye-like.js';
import { Flatten } from '../flatten.js';
import { Gather } from '../gather.js';
import { GatherElements } from '../gather-elements.js';
import { GatherND } from '../gather-nd.js';
import { NonMaxSuppression } from '../non-max-suppression.js';
import { NonZero } from '../non-zero.js';
import { OneHot } from '../one-hot.js';
import type { OpDef } from '../op.js';
import { Pad } from '../pad.js';
import { Range } from '../range.js';
import { ReduceL1 } from '../reduce-l1.js';
import { ReduceL2 } from '../reduce-l2.js';
import { ReduceLogSum } from '../reduce-log-sum.js';
import { ReduceLogSumExp } from '../reduce-log-sum-exp.js';
import { ReduceMax } from '../reduce-max.js';
import { ReduceMean } from '../reduce-mean.js';
import { ReduceMin } from '../reduce-min.js';
import { ReduceProd } from '../reduce-prod.js';
import { ReduceSum } from '../reduce-sum.js';
import { ReduceSumSquare } from '../reduce-sum-square.js';
import { Reshape } from '../reshape.js';
import { Resize } from '../resize.js';
import { ReverseSequence } from '../reverse-sequence.js';
import { Scatter } from '../scatter.js';
import { ScatterElements } from '../scatter-elements.js';
import { ScatterND } from '../scatter-nd.js';
import { Shape } from '../shape.js';
import { Size } from '../size.js';
import { Slice } from '../slice.js';
import { SpaceToDepth } from '../space-to-depth.js';
import { Split } from '../split.js';
import { Squeeze } from '../squeeze.js';
import { TensorScatter } from '../tensor-scatter.js';
import { Tile } from '../tile.js';
import { TopK } from '../top-k.js';
import { Transpose } from '../transpose.js';
import { Trilu } from '../trilu.js';
import { Unique } from '../unique.js';
import { Unsqueeze } from '../unsqueeze.js';
import { Upsample } from '../upsample.js';

export const TENSOR_OPS: readonly OpDef[] = [
  ArgMax,
  ArgMin,
  CenterCropPad,
  Compress,
  Concat,
  Constant,
  ConstantOfShape,
  CumProd,
  CumSum,
  DepthToSpace,
  Dropout,
  Expand,
  EyeLike,
  Flatten,
  Gather,
  GatherElements,
  GatherND,
  NonMaxSuppression,
  NonZero,
  OneHot,
  Pad,
  Range,
  ReduceL1,
  ReduceL2,
  ReduceLogSum,
  ReduceLogSumExp,
  ReduceMax,
  ReduceMean,
  ReduceMin,
  ReduceProd,
  ReduceSum,
  ReduceSumSquare,
  Reshape,
  Resize,
  ReverseSequence,
  Scatter,
  ScatterElements,
  ScatterND,
  Shape,
  Size,
  Slice,
  SpaceToDepth,
  Split,
  Squeeze,
  TensorScatter,
  Tile,
  TopK,
  Transpose,
  Trilu,
  Unique,
  Unsqueeze,
  Upsample,
];
