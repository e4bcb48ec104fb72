import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { type DataType, isFloat } from '../tensor/dtype.js';
import { shapeSize, stridesOf } from '../tensor/shape.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef, type ValueMeta } from './op.js';
import { knownDims } from './support/infer.js';
import { gemm } from './support/matmul.js';
import { type Im2ColGeometry, im2col } from './support/nn-im2col.js';
import { type Accumulator, accumulatorFor, tensorFromValues } from './support/nn-numeric.js';
import { type WindowGeometry, weightKernel, windowGeometry } from './support/window.js';

/** OnnxStream stores Conv1D weights as (O, I, K, 1): drop the trailing unit axis against a 3-D input. */
function weightDims(xRank: number, w: readonly number[]): readonly number[] {
  return w.length === xRank + 1 && w[w.length - 1] === 1 ? w.slice(0, -1) : w;
}

function geometry(attrs: Attributes, xDims: readonly number[], wDims: readonly number[]): WindowGeometry {
  return windowGeometry(attrs, xDims.slice(2), weightKernel(attrs, wDims));
}

/** Output meta of a convolution of input meta `x` by weight meta `w` (Conv, ConvInteger, QLinearConv). */
export function inferConv(
  attrs: Attributes,
  x: ValueMeta | undefined,
  w: ValueMeta | undefined,
  type: DataType | undefined,
): ValueMeta[] {
  const xd = knownDims(x?.dims);
  const wd = knownDims(w?.dims);
  if (!xd || !wd) {
    const rank = x?.dims?.length;
    const dims: Dim[] | undefined = rank
      ? [x!.dims![0], w?.dims?.[0] ?? null, ...new Array<Dim>(rank - 2).fill(null)]
      : undefined;
    return [{ type, dims }];
  }
  const wdims = weightDims(xd.length, wd);
  const g = geometry(attrs, xd, wdims);
  const group = attrs.int('group', 1);
  check(
    xd[1] === wdims[1] * group,
    () => `input has ${xd[1]} channels, weight expects ${wdims[1]} x group ${group}`,
  );
  return [{ type, dims: [xd[0], wdims[0], ...g.out] }];
}

/**
 * Convolution of x (N, C, spatial...) by w (M, C/group, kernel...) plus an optional per-channel
 * bias, accumulated in `acc(size)` (float32 for float models, float64 for exact integer sums).
 */
export function convolve(
  attrs: Attributes,
  x: ArrayLike<number>,
  xDims: readonly number[],
  w: ArrayLike<number>,
  wDimsIn: readonly number[],
  bias: ArrayLike<number> | undefined,
  acc: (size: number) => Accumulator,
): { out: Accumulator; dims: number[] } {
  const wDims = weightDims(xDims.length, wDimsIn);
  check(
    xDims.length >= 3 && wDims.length === xDims.length,
    () => `input rank ${xDims.length} and weight rank ${wDimsIn.length} do not match`,
  );
  const group = attrs.int('group', 1);
  const [n, c] = xDims;
  const m = wDims[0];
  check(c === wDims[1] * group, () => `input has ${c} channels, weight expects ${wDims[1]} x group ${group}`);
  check(m % group === 0, () => `${m} output channels are not divisible by group ${group}`);
  check(!bias || bias.length === m, () => `bias has ${bias?.length} values for ${m} output channels`);
  const g = geometry(attrs, xDims, wDims);
  const dims = [n, m, ...g.out];
  const job: ConvJob = { x, xDims, w, wDims, bias, group, g, out: acc(shapeSize(dims)), outDims: dims };
  if (xDims.length <= 4) conv2d(job);
  else convNd(job);
  return { out: job.out, dims };
}

/** A validated convolution: operands, geometry and the zeroed output (N, M, out spatial...). */
interface ConvJob {
  readonly x: ArrayLike<number>;
  readonly xDims: readonly number[];
  readonly w: ArrayLike<number>;
  readonly wDims: readonly number[];
  readonly bias: ArrayLike<number> | undefined;
  readonly group: number;
  readonly g: WindowGeometry;
  readonly out: Accumulator;
  readonly outDims: readonly number[];
}

export const Conv: OpDef = {
  type: 'Conv',
  infer: (ctx) => inferConv(ctx.attrs, ctx.inputs[0], ctx.inputs[1], ctx.inputs[0]?.type),
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const b = ctx.inputs[2];
    check(isFloat(x.type) && x.type === w.type, () => `unsupported types ${x.type} x ${w.type}`);
    const { out, dims } = convolve(
      ctx.attrs,
      asNumbers(x),
      x.dims,
      asNumbers(w),
      w.dims,
      b && asNumbers(b),
      (size) => accumulatorFor(x.type, size),
    );
    return [tensorFromValues(x.type, out, dims)];
  },
};

/** Column-buffer budget (values) of the im2col path; bands of output rows are processed in turn. */
const COL_ELEMENTS = 1 << 20;

/**
 * 1-D/2-D convolution as GEMMs: per image and group, W_g [Mg, Cg*K] times the im2col matrix of a
 * band of output rows [Cg*K, rows*OW], written straight into the output planes. A pointwise
 * convolution (1x1, stride 1, no padding) multiplies by the input planes directly.
 */
function conv2d({ x, xDims, w, wDims, bias, group, g, out, outDims }: ConvJob): void {
  const is1d = xDims.length === 3;
  const [n, c] = xDims;
  const m = wDims[0];
  const ig: Im2ColGeometry = {
    channels: c / group,
    height: is1d ? 1 : xDims[2],
    width: xDims[xDims.length - 1],
    kh: is1d ? 1 : wDims[2],
    kw: wDims[wDims.length - 1],
    sh: is1d ? 1 : g.strides[0],
    sw: g.strides[g.strides.length - 1],
    dh: is1d ? 1 : g.dilations[0],
    dw: g.dilations[g.dilations.length - 1],
    ph: is1d ? 0 : g.padsBegin[0],
    pw: g.padsBegin[g.padsBegin.length - 1],
    outWidth: outDims[outDims.length - 1],
  };
  const oh = is1d ? 1 : outDims[2];
  const ow = ig.outWidth;
  const inPlane = ig.height * ig.width;
  const plane = oh * ow;
  const mg = m / group;
  const depth = ig.channels * ig.kh * ig.kw;
  const pointwise =
    depth === ig.channels && ig.sh === 1 && ig.sw === 1 && ig.ph === 0 && ig.pw === 0 && plane === inPlane;
  const bandRows = Math.max(1, Math.min(oh, Math.floor(COL_ELEMENTS / Math.max(1, depth * ow))));
  const col = pointwise ? undefined : new Float64Array(depth * bandRows * ow);
  for (let b = 0; b < n; b++) {
    if (bias)
      for (let oc = 0; oc < m; oc++) out.fill(bias[oc], (b * m + oc) * plane, (b * m + oc + 1) * plane);
    for (let gi = 0; gi < group; gi++) {
      const xOff = (b * c + gi * ig.channels) * inPlane;
      const wOff = gi * mg * depth;
      const oOff = (b * m + gi * mg) * plane;
      if (!col) {
        gemm(mg, plane, depth, w, wOff, depth, x, xOff, inPlane, out, oOff, plane);
        continue;
      }
      for (let row0 = 0; row0 < oh; row0 += bandRows) {
        const rows = Math.min(bandRows, oh - row0);
        im2col(x, xOff, ig, row0, rows, col);
        gemm(mg, rows * ow, depth, w, wOff, depth, col, 0, rows * ow, out, oOff + row0 * ow, plane);
      }
    }
  }
}

/** Any number of spatial axes: straightforward loops over output positions and kernel taps. */
function convNd({ x, xDims, w, wDims, bias, group, g, out, outDims }: ConvJob): void {
  const [n, c] = xDims;
  const m = wDims[0];
  const sp = xDims.slice(2);
  const ks = wDims.slice(2);
  const os = outDims.slice(2);
  const r = sp.length;
  const xStr = stridesOf(sp);
  const kStr = stridesOf(ks);
  const oStr = stridesOf(os);
  const xPlane = shapeSize(sp);
  const kSize = shapeSize(ks);
  const oPlane = shapeSize(os);
  const cg = c / group;
  const mg = m / group;
  const pos = new Array<number>(r);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const gi = Math.floor(oc / mg);
      for (let op = 0; op < oPlane; op++) {
        let acc = bias ? bias[oc] : 0;
        for (let ci = 0; ci < cg; ci++) {
          const x0 = (b * c + gi * cg + ci) * xPlane;
          const w0 = (oc * cg + ci) * kSize;
          for (let k = 0; k < kSize; k++) {
            let off = 0;
            let inside = true;
            for (let d = 0; d < r; d++) {
              const o = Math.floor(op / oStr[d]) % os[d];
              const kk = Math.floor(k / kStr[d]) % ks[d];
              pos[d] = o * g.strides[d] - g.padsBegin[d] + kk * g.dilations[d];
              if (pos[d] < 0 || pos[d] >= sp[d]) {
                inside = false;
                break;
              }
              off += pos[d] * xStr[d];
            }
            if (inside) acc += w[w0 + k] * x[x0 + off];
          }
        }
        out[(b * m + oc) * oPlane + op] = acc;
      }
    }
  }
}
