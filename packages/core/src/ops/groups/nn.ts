/** Neural-network operators: convolutions, pooling, normalisations, matrix products, attention, softmax, quantisation. */
import { Attention } from '../attention.js';
import { AttentionFusedOps } from '../attention-fused-ops.js';
import { AveragePool } from '../average-pool.js';
import { BatchNormalization } from '../batch-normalization.js';
import { CausalConvWithState } from '../causal-conv-with-state.js';
import { Col2Im } from '../col2im.js';
import { Conv } from '../conv.js';
import { ConvInteger } from '../conv-integer.js';
import { ConvTranspose } from '../conv-transpose.js';
import { DeformConv } from '../deform-conv.js';
import { DequantizeLinear } from '../dequantize-linear.js';
import { DynamicQuantizeLinear } from '../dynamic-quantize-linear.js';
import { Einsum } from '../einsum.js';
import { FlexAttention } from '../flex-attention.js';
import { Gemm } from '../gemm.js';
import { GlobalAveragePool } from '../global-average-pool.js';
import { GlobalLpPool } from '../global-lp-pool.js';
import { GlobalMaxPool } from '../global-max-pool.js';
import { GroupNormalization } from '../group-normalization.js';
import { GRU } from '../gru.js';
import { Hardmax } from '../hardmax.js';
import { InstanceNormalization } from '../instance-normalization.js';
import { LayerNormalization } from '../layer-normalization.js';
import { LinearAttention } from '../linear-attention.js';
import { LogSoftmax } from '../log-softmax.js';
import { LpNormalization } from '../lp-normalization.js';
import { LpPool } from '../lp-pool.js';
import { LRN } from '../lrn.js';
import { LSTM } from '../lstm.js';
import { MatMul } from '../mat-mul.js';
import { MatMulInteger } from '../mat-mul-integer.js';
import { MaxPool } from '../max-pool.js';
import { MeanVarianceNormalization } from '../mean-variance-normalization.js';
import type { OpDef } from '../op.js';
import { QLinearConv } from '../qlinear-conv.js';
import { QLinearMatMul } from '../qlinear-mat-mul.js';
import { QuantizeLinear } from '../quantize-linear.js';
import { RMSNormalization } from '../rms-normalization.js';
import { RNN } from '../rnn.js';
import { RotaryEmbedding } from '../rotary-embedding.js';
import { ScaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { Softmax } from '../softmax.js';
import { SwiGLU } from '../swiglu.js';

export const NN_OPS: readonly OpDef[] = [
  Attention,
  AttentionFusedOps,
  AveragePool,
  BatchNormalization,
  Col2Im,
  Conv,
  ConvInteger,
  ConvTranspose,
  DeformConv,
  DequantizeLinear,
  DynamicQuantizeLinear,
  Einsum,
  Gemm,
  GlobalAveragePool,
  GlobalLpPool,
  GlobalMaxPool,
  GroupNormalization,
  Hardmax,
  InstanceNormalization,
  LayerNormalization,
  LogSoftmax,
  LpNormalization,
  LpPool,
  LRN,
  MatMul,
  MatMulInteger,
  MaxPool,
  MeanVarianceNormalization,
  QLinearConv,
  QLinearMatMul,
  QuantizeLinear,
  RMSNormalization,
  RotaryEmbedding,
  ScaledDotProductAttention,
  Softmax,
  SwiGLU,
  // Recurrent.
  GRU,
  LSTM,
  RNN,
  // Stateful sequence mixing (opset 27).
  CausalConvWithState,
  LinearAttention,
  // ai.onnx.preview.
  FlexAttention,
];
