/**
 * Matrix-product kernels shared by MatMul, Gemm, the integer/quantised products, Einsum and the
 * attention operators: row-major GEMM in the two operand layouts models use, and numpy-style
 * batched MatMul with broadcasting and 1-D operand promotion.
 */
import type { Dim } from '../../graph/graph.js';
import { broadcastStrides, formatShape, shapeSize } from '../../tensor/shape.js';
import { check } from '../op.js';
import { broadcastDims } from './infer.js';
import type { Accumulator } from './nn-numeric.js';

/**
 * Blocking of the packed GEMM (the GotoBLAS scheme, scaled to JavaScript): a KC x NC block of B is
 * packed into 4-column panels, and a 4 x 4 tile of C is accumulated in locals (registers) over KC.
 */
const KC = 256;
const NC = 512;
const pack = new Float64Array(KC * NC);
const tile = new Float64Array(16);

/**
 * C[m x n] += A[m x k] . B, all row-major with leading dimensions lda/ldb/ldc (element offsets
 * aOff/bOff/cOff). B is [k x n], or [n x k] when `transB` (weights of linear layers, keys).
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  aOff: number,
  lda: number,
  b: ArrayLike<number>,
  bOff: number,
  ldb: number,
  c: Accumulator,
  cOff: number,
  ldc: number,
  transB = false,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  // Too few rows to amortise packing.
  if (m < 4) {
    smallGemm(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, transB);
    return;
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const panels = Math.ceil(nc / 4);
      packPanels(b, bOff, ldb, transB, pc, kc, jc, nc);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        for (let q = 0; q < panels; q++) {
          const j = jc + q * 4;
          kernel4x4(a, aOff + i * lda + pc, lda, kc, q * kc * 4, c, cOff + i * ldc + j, ldc, n - j);
        }
      }
      for (; i < m; i++) {
        const a0 = aOff + i * lda + pc;
        for (let q = 0; q < panels; q++) {
          let c0 = 0;
          let c1 = 0;
          let c2 = 0;
          let c3 = 0;
          for (let p = 0, o = q * kc * 4; p < kc; p++, o += 4) {
            const x = a[a0 + p];
            c0 += x * pack[o];
            c1 += x * pack[o + 1];
            c2 += x * pack[o + 2];
            c3 += x * pack[o + 3];
          }
          const j = jc + q * 4;
          const r0 = cOff + i * ldc + j;
          const w = n - j;
          c[r0] += c0;
          if (w > 1) c[r0 + 1] += c1;
          if (w > 2) c[r0 + 2] += c2;
          if (w > 3) c[r0 + 3] += c3;
        }
      }
    }
  }
}

/**
 * One 4 x 4 tile of C (at c0, `cols` <= 4 of its columns valid) += 4 rows of A (from a0, stride lda)
 * times the packed B panel at `panel`, over kc: sixteen accumulators that stay in registers.
 */
// biome-ignore format: the tile reads best as a 4 x 4 grid
function kernel4x4(a: ArrayLike<number>, a0: number, lda: number, kc: number, panel: number, c: Accumulator, c0: number, ldc: number, cols: number): void {
  const a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, o = panel; p < kc; p++, o += 4) {
    const b0 = pack[o], b1 = pack[o + 1], b2 = pack[o + 2], b3 = pack[o + 3];
    const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
    c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
    c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
  }
  if (cols >= 4) {
    const r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
    c[c0] += c00; c[c0 + 1] += c01; c[c0 + 2] += c02; c[c0 + 3] += c03;
    c[r1] += c10; c[r1 + 1] += c11; c[r1 + 2] += c12; c[r1 + 3] += c13;
    c[r2] += c20; c[r2 + 1] += c21; c[r2 + 2] += c22; c[r2 + 3] += c23;
    c[r3] += c30; c[r3 + 1] += c31; c[r3 + 2] += c32; c[r3 + 3] += c33;
    return;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
  for (let r = 0; r < 4; r++) for (let t = 0; t < cols; t++) c[c0 + r * ldc + t] += tile[r * 4 + t];
}

/** Packs B[pc..pc+kc, jc..jc+nc] as 4-column panels [panel][p][4], zero-padding the last panel. */
function packPanels(
  b: ArrayLike<number>,
  bOff: number,
  ldb: number,
  transB: boolean,
  pc: number,
  kc: number,
  jc: number,
  nc: number,
): void {
  for (let q = 0, o = 0; q * 4 < nc; q++) {
    const j = jc + q * 4;
    const w = Math.min(4, jc + nc - j);
    for (let p = 0; p < kc; p++, o += 4) {
      for (let t = 0; t < 4; t++) {
        pack[o + t] =
          t >= w ? 0 : transB ? b[bOff + (j + t) * ldb + pc + p] : b[bOff + (pc + p) * ldb + j + t];
      }
    }
  }
}

/** gemm for a few rows of A: plain loops that read B contiguously. */
function smallGemm(
  ...[m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, transB]: Parameters<typeof gemm>
): void {
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * lda;
    const ci = cOff + i * ldc;
    if (transB) {
      // Four dot products at once: independent sums instead of one serial dependency chain.
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const b0 = bOff + j * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = 0; p < k; p++) {
          const x = a[ai + p];
          s0 += x * b[b0 + p];
          s1 += x * b[b1 + p];
          s2 += x * b[b2 + p];
          s3 += x * b[b3 + p];
        }
        c[ci + j] += s0;
        c[ci + j + 1] += s1;
        c[ci + j + 2] += s2;
        c[ci + j + 3] += s3;
      }
      for (; j < n; j++) {
        const bj = bOff + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[ci + j] += s;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const av = a[ai + p];
        if (av === 0) continue;
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      }
    }
  }
}

/** c[m x n] += a[m x k] . b[k x n], all contiguous row-major. */
export function gemmNN(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  c: Accumulator,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  gemm(m, n, k, a, aOff, k, b, bOff, n, c, cOff, n);
}

/** c[m x n] += a[m x k] . b^T where b is stored [n x k] (linear-layer weights, keys in attention). */
export function gemmNT(...[a, aOff, b, bOff, c, cOff, m, k, n]: Parameters<typeof gemmNN>): void {
  gemm(m, n, k, a, aOff, k, b, bOff, k, c, cOff, n, true);
}

/** Geometry of a numpy MatMul: 1-D operands are promoted ([k] -> [1,k] / [k,1]) and batch dims broadcast. */
export interface MatMulGeometry {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly outDims: number[];
  /** Batch dims of the output (everything but the last two axes of the promoted product). */
  readonly batch: number[];
  /** Element offset of each batch's A and B matrix, in output batch order. */
  readonly aOffsets: readonly number[];
  readonly bOffsets: readonly number[];
}

/** Output dims of MatMul on possibly unknown dims; throws when known inner dims disagree. */
export function matmulDims(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  check(a.length > 0 && b.length > 0, 'MatMul operands must have rank >= 1');
  const pa = a.length === 1 ? [1, a[0]] : a;
  const pb = b.length === 1 ? [b[0], 1] : b;
  const ka = pa[pa.length - 1];
  const kb = pb[pb.length - 2];
  check(
    typeof ka !== 'number' || typeof kb !== 'number' || ka === kb,
    () => `MatMul inner dimensions differ: ${formatShape(a)} x ${formatShape(b)}`,
  );
  const batch = broadcastDims([pa.slice(0, -2), pb.slice(0, -2)])!;
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(pa[pa.length - 2]);
  if (b.length > 1) out.push(pb[pb.length - 1]);
  return out;
}

export function matmulGeometry(aDims: readonly number[], bDims: readonly number[]): MatMulGeometry {
  const outDims = matmulDims(aDims, bDims) as number[];
  const pa = aDims.length === 1 ? [1, aDims[0]] : aDims;
  const pb = bDims.length === 1 ? [bDims[0], 1] : bDims;
  const m = pa[pa.length - 2];
  const k = pa[pa.length - 1];
  const n = pb[pb.length - 1];
  const aBatch = pa.slice(0, -2);
  const bBatch = pb.slice(0, -2);
  const batch = broadcastDims([aBatch, bBatch]) as number[];
  const count = shapeSize(batch);
  const aOffsets = new Array<number>(count);
  const bOffsets = new Array<number>(count);
  const sa = broadcastStrides(aBatch, batch);
  const sb = broadcastStrides(bBatch, batch);
  const counter = new Array<number>(batch.length).fill(0);
  let oa = 0;
  let ob = 0;
  for (let i = 0; i < count; i++) {
    aOffsets[i] = oa * m * k;
    bOffsets[i] = ob * k * n;
    for (let d = batch.length - 1; d >= 0; d--) {
      counter[d]++;
      oa += sa[d];
      ob += sb[d];
      if (counter[d] < batch[d]) break;
      oa -= sa[d] * batch[d];
      ob -= sb[d] * batch[d];
      counter[d] = 0;
    }
  }
  return { m, k, n, outDims, batch, aOffsets, bOffsets };
}

/** out (zeroed, shapeSize(g.outDims) elements) = a . b for every broadcast batch. */
export function batchedMatMul(
  g: MatMulGeometry,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  out: Accumulator,
): void {
  const plane = g.m * g.n;
  for (let i = 0; i < g.aOffsets.length; i++)
    gemmNN(a, g.aOffsets[i], b, g.bOffsets[i], out, i * plane, g.m, g.k, g.n);
}
