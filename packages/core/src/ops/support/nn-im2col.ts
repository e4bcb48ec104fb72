/**
 * Sliding-window column buffers. im2col gathers, for a band of output rows of a 1-D/2-D
 * convolution, every (channel, tap) input row into a matrix so the convolution is one GEMM;
 * col2im scatters-and-adds such columns back into an image (the Col2Im operator and the second
 * half of ConvTranspose, whose first half is a GEMM).
 */
import { shapeSize, stridesOf } from '../../tensor/shape.js';
import type { Accumulator } from './nn-numeric.js';
import type { WindowGeometry } from './window.js';

/** The window of col2im (of a WindowGeometry) between a block grid and an image. */
export type Col2ImGeometry = Pick<WindowGeometry, 'kernel' | 'strides' | 'dilations' | 'padsBegin'> & {
  /** Block grid (number of window positions per axis): the column count is its product. */
  readonly blocks: readonly number[];
  readonly image: readonly number[];
};

/**
 * col (at colOff) is [channels * K, L] with K = prod(kernel) taps and L = prod(blocks) positions;
 * each value is added to out (at outOff, [channels, prod(image)]) at image coordinate
 * block * stride - padBegin + tap * dilation, when that lies inside the image.
 */
export function col2im(
  col: ArrayLike<number>,
  colOff: number,
  channels: number,
  g: Col2ImGeometry,
  out: Accumulator,
  outOff: number,
): void {
  const r = g.image.length;
  const K = shapeSize(g.kernel);
  const L = shapeSize(g.blocks);
  const S = shapeSize(g.image);
  const imgStr = stridesOf(g.image);
  const kStr = stridesOf(g.kernel);
  const outerBlocks = g.blocks.slice(0, -1);
  const outerStr = stridesOf(outerBlocks);
  const last = r - 1;
  const lastBlocks = g.blocks[last];
  const rows = lastBlocks === 0 ? 0 : L / lastBlocks;
  // Image column along the last axis for (last tap, last block), or -1 outside the image.
  const lastPos = new Int32Array(g.kernel[last] * lastBlocks);
  for (let k = 0; k < g.kernel[last]; k++) {
    for (let j = 0; j < lastBlocks; j++) {
      const p = j * g.strides[last] - g.padsBegin[last] + k * g.dilations[last];
      lastPos[k * lastBlocks + j] = p >= 0 && p < g.image[last] ? p : -1;
    }
  }
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < K; k++) {
      const kLast = k % g.kernel[last];
      for (let row = 0; row < rows; row++) {
        let off = 0;
        let inside = true;
        for (let d = 0; d < last; d++) {
          const kd = Math.floor(k / kStr[d]) % g.kernel[d];
          const bd = Math.floor(row / outerStr[d]) % outerBlocks[d];
          const p = bd * g.strides[d] - g.padsBegin[d] + kd * g.dilations[d];
          if (p < 0 || p >= g.image[d]) {
            inside = false;
            break;
          }
          off += p * imgStr[d];
        }
        if (!inside) continue;
        const src = colOff + (c * K + k) * L + row * lastBlocks;
        const dst = outOff + c * S + off;
        const map = kLast * lastBlocks;
        for (let j = 0; j < lastBlocks; j++) {
          const p = lastPos[map + j];
          if (p >= 0) out[dst + p] += col[src + j];
        }
      }
    }
  }
}

/** 2-D window geometry for im2col (1-D convolutions use height 1). */
export interface Im2ColGeometry {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly ph: number;
  readonly pw: number;
  readonly outWidth: number;
}

/**
 * Fills col [channels * kh * kw, rows * outWidth] with the inputs seen by output rows
 * [row0, row0 + rows) (x at xOff is [channels, height, width]); padding reads as 0.
 */
export function im2col(
  x: ArrayLike<number>,
  xOff: number,
  g: Im2ColGeometry,
  row0: number,
  rows: number,
  col: Float64Array,
): void {
  const ow = g.outWidth;
  const cols = rows * ow;
  for (let ci = 0; ci < g.channels; ci++) {
    const plane = xOff + ci * g.height * g.width;
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++) {
        const dst = ((ci * g.kh + ky) * g.kw + kx) * cols;
        const xoff = kx * g.dw - g.pw;
        // Output columns whose input column ox*sw + xoff lies in [0, width).
        const lo = Math.min(ow, Math.max(0, Math.ceil(-xoff / g.sw)));
        const hi = Math.max(lo, Math.min(ow, Math.floor((g.width - 1 - xoff) / g.sw) + 1));
        for (let r = 0; r < rows; r++) {
          const d = dst + r * ow;
          const iy = (row0 + r) * g.sh - g.ph + ky * g.dh;
          if (iy < 0 || iy >= g.height) {
            col.fill(0, d, d + ow);
            continue;
          }
          col.fill(0, d, d + lo);
          col.fill(0, d + hi, d + ow);
          const src = plane + iy * g.width + xoff;
          if (g.sw === 1) for (let ox = lo; ox < hi; ox++) col[d + ox] = x[src + ox];
          else for (let ox = lo; ox < hi; ox++) col[d + ox] = x[src + ox * g.sw];
        }
      }
    }
  }
}
