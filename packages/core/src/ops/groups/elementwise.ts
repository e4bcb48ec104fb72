/** Elementwise operators: unary math and activations, binary arithmetic, comparisons, logic, casts. */
import { Abs } from '../abs.js';
import { Acos } from '../acos.js';
import { Acosh } from '../acosh.js';
import { Add } from '../add.js';
import { And } from '../and.js';
import { Asin } from '../asin.js';
import { Asinh } from '../asinh.js';
import { Atan } from '../atan.js';
import { Atanh } from '../atanh.js';
import { BitCast } from '../bit-cast.js';
import { BitShift } from '../bit-shift.js';
import { BitwiseAnd } from '../bitwise-and.js';
import { BitwiseNot } from '../bitwise-not.js';
import { BitwiseOr } from '../bitwise-or.js';
import { BitwiseXor } from '../bitwise-xor.js';
import { Cast } from '../cast.js';
import { CastLike } from '../cast-like.js';
import { Ceil } from '../ceil.js';
import { Celu } from '../celu.js';
import { Clip } from '../clip.js';
import { Cos } from '../cos.js';
import { Cosh } from '../cosh.js';
import { Div } from '../div.js';
import { Elu } from '../elu.js';
import { Equal } from '../equal.js';
import { Erf } from '../erf.js';
import { Exp } from '../exp.js';
import { Floor } from '../floor.js';
import { Gelu } from '../gelu.js';
import { Greater } from '../greater.js';
import { GreaterOrEqual } from '../greater-or-equal.js';
import { HardSigmoid } from '../hard-sigmoid.js';
import { HardSwish } from '../hard-swish.js';
import { Identity } from '../identity.js';
import { IsInf } from '../is-inf.js';
import { IsNaN } from '../is-nan.js';
import { LeakyRelu } from '../leaky-relu.js';
import { Less } from '../less.js';
import { LessOrEqual } from '../less-or-equal.js';
import { Log } from '../log.js';
import { Max } from '../max.js';
import { Mean } from '../mean.js';
import { Min } from '../min.js';
import { Mish } from '../mish.js';
import { Mod } from '../mod.js';
import { Mul } from '../mul.js';
import { Neg } from '../neg.js';
import { Not } from '../not.js';
import type { OpDef } from '../op.js';
import { Or } from '../or.js';
import { Pow } from '../pow.js';
import { PRelu } from '../prelu.js';
import { Reciprocal } from '../reciprocal.js';
import { Relu } from '../relu.js';
import { Round } from '../round.js';
import { Selu } from '../selu.js';
import { Shrink } from '../shrink.js';
import { Sigmoid } from '../sigmoid.js';
import { Sign } from '../sign.js';
import { Sin } from '../sin.js';
import { Sinh } from '../sinh.js';
import { Softplus } from '../softplus.js';
import { Softsign } from '../softsign.js';
import { Sqrt } from '../sqrt.js';
import { Sub } from '../sub.js';
import { Sum } from '../sum.js';
import { Swish } from '../swish.js';
import { Tan } from '../tan.js';
import { Tanh } from '../tanh.js';
import { ThresholdedRelu } from '../thresholded-relu.js';
import { Where } from '../where.js';
import { Xor } from '../xor.js';

export const ELEMENTWISE_OPS: readonly OpDef[] = [
  Abs,
  Acos,
  Acosh,
  Add,
  And,
  Asin,
  Asinh,
  Atan,
  Atanh,
  BitCast,
  BitShift,
  BitwiseAnd,
  BitwiseNot,
  BitwiseOr,
  BitwiseXor,
  Cast,
  CastLike,
  Ceil,
  Celu,
  Clip,
  Cos,
  Cosh,
  Div,
  Elu,
  Equal,
  Erf,
  Exp,
  Floor,
  Gelu,
  Greater,
  GreaterOrEqual,
  HardSigmoid,
  HardSwish,
  Identity,
  IsInf,
  IsNaN,
  LeakyRelu,
  Less,
  LessOrEqual,
  Log,
  Max,
  Mean,
  Min,
  Mish,
  Mod,
  Mul,
  Neg,
  Not,
  Or,
  Pow,
  PRelu,
  Reciprocal,
  Relu,
  Round,
  Selu,
  Shrink,
  Sigmoid,
  Sign,
  Sin,
  Sinh,
  Softplus,
  Softsign,
  Sqrt,
  Sub,
  Sum,
  Swish,
  Tan,
  Tanh,
  ThresholdedRelu,
  Where,
  Xor,
];
