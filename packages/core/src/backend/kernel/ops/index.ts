/** Every operator a kernel backend runs; the rest fall back to the reference backend. */
import { attentionFusedOps, onnxAttentionOps, sdpaOps } from './attention.js';
import { convOps, convTransposeOp } from './conv.js';
import { castOps, dequantizeOps, quantizeOps } from './convert.js';
import { binaryOps, unaryOps } from './elementwise.js';
import { gegluOps } from './geglu.js';
import { gemmOp } from './gemm.js';
import type { KernelOp } from './kernel-op.js';
import { matmulOp } from './matmul.js';
import { matmulGegluOps } from './matmul-geglu.js';
import { channelNormOps, trailingNormOps } from './norm.js';
import { globalPoolOps, poolOps } from './pool.js';
import { resizeOps } from './resize.js';
import { softmaxOps } from './softmax.js';
import { concatOps, sliceOps, splitOps, transposeOps } from './transpose.js';
import { uint8ChannelBlocksOps } from './uint8-channel-blocks.js';
import { loadUint8Ops, storeUint8Ops } from './uint8-storage.js';

export const KERNEL_OPS: readonly KernelOp[] = [
  binaryOps,
  unaryOps,
  gegluOps,
  softmaxOps,
  trailingNormOps,
  channelNormOps,
  poolOps,
  globalPoolOps,
  resizeOps,
  transposeOps,
  concatOps,
  splitOps,
  sliceOps,
  castOps,
  quantizeOps,
  dequantizeOps,
  storeUint8Ops,
  loadUint8Ops,
  uint8ChannelBlocksOps,
  attentionFusedOps,
  sdpaOps,
  onnxAttentionOps,
  gemmOp,
  matmulOp,
  matmulGegluOps,
  convOps,
  convTransposeOp,
];
