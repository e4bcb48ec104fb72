/**
 * Scaled dot-product attention, computed in blocks of query rows so the full
 * (heads x rows x kv) score matrix is never allocated at once: per head and row block,
 * S = scale * Q.K^T (optionally soft-capped), S += bias (masks), softmax over keys, out = S.V.
 * Shared by ONNX Attention and OnnxStream's AttentionFusedOps and ScaledDotProductAttention.
 */
import { softmaxLine } from './axis-reduce.js';
import { gemmNN, gemmNT } from './matmul.js';
import type { Accumulator } from './nn-numeric.js';

/** Score elements per row block (2 MB of float64): bounds the scratch memory of one block. */
const BLOCK_ELEMENTS = 1 << 18;

/**
 * Dense row-major operands: Q (batch, qHeads, qLen, headDim), K (batch, kvHeads, kvLen, headDim)
 * or, when `kTransposed`, (batch, kvHeads, headDim, kvLen), V (batch, kvHeads, kvLen, vDim);
 * the output is (batch, qHeads, qLen, vDim). qHeads must be a multiple of kvHeads (grouped-query
 * attention: query head h reads key/value head floor(h / (qHeads / kvHeads))).
 */
export interface AttentionShape {
  readonly batch: number;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly vDim: number;
}

/** Where a score block is observed: after scaling and soft-capping, after the bias, after softmax. */
export type ScoreStage = 'scaled' | 'biased' | 'softmax';

interface AttentionOptions {
  readonly scale: number;
  /** softcap * tanh(S / softcap) before the bias; 0 disables it. */
  readonly softcap?: number;
  readonly kTransposed?: boolean;
  /** Query rows per score block (default: as many as fit a fixed block of scores). */
  readonly blockRows?: number;
  /** Adds the additive bias of query rows [row0, row0 + rows) of head (b, h) to `scores` (rows x kvLen). */
  readonly addBias?: (b: number, h: number, row0: number, rows: number, scores: Float64Array) => void;
  /** Sees each score block at each stage (for operators that output the scores). */
  readonly observe?: (
    stage: ScoreStage,
    b: number,
    h: number,
    row0: number,
    rows: number,
    scores: Float64Array,
  ) => void;
}

export function attention(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: AttentionShape,
  o: AttentionOptions,
  out: Accumulator,
): void {
  const { qLen, kvLen, headDim: d, vDim } = s;
  const group = s.qHeads / s.kvHeads;
  const blockRows =
    o.blockRows ?? Math.max(1, Math.min(qLen, Math.floor(BLOCK_ELEMENTS / Math.max(1, kvLen))));
  const scores = new Float64Array(blockRows * kvLen);
  const cap = o.softcap ?? 0;
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.qHeads; h++) {
      const kvHead = b * s.kvHeads + Math.floor(h / group);
      const kOff = kvHead * kvLen * d;
      const vOff = kvHead * kvLen * vDim;
      const qHead = b * s.qHeads + h;
      for (let row0 = 0; row0 < qLen; row0 += blockRows) {
        const rows = Math.min(blockRows, qLen - row0);
        const block = scores.subarray(0, rows * kvLen);
        block.fill(0);
        const qOff = (qHead * qLen + row0) * d;
        if (o.kTransposed) gemmNN(q, qOff, k, kOff, block, 0, rows, d, kvLen);
        else gemmNT(q, qOff, k, kOff, block, 0, rows, d, kvLen);
        for (let i = 0; i < block.length; i++) {
          const x = block[i] * o.scale;
          block[i] = cap > 0 ? cap * Math.tanh(x / cap) : x;
        }
        o.observe?.('scaled', b, h, row0, rows, block);
        o.addBias?.(b, h, row0, rows, block);
        o.observe?.('biased', b, h, row0, rows, block);
        for (let r = 0; r < rows; r++) softmaxLine(block, block, r * kvLen, 1, kvLen, false);
        o.observe?.('softmax', b, h, row0, rows, block);
        gemmNN(block, 0, v, vOff, out, (qHead * qLen + row0) * vDim, rows, kvLen, vDim);
      }
    }
  }
}
