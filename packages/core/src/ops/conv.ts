import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { shapeSize, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { knownDims } from './support/infer.js';
import { windowGeometry, type WindowGeometry } from './support/window.js';

/** OnnxStream stores Conv1D weights as (O, I, K, 1): drop the trailing unit axis against a 3-D input. */
function weightDims(xRank: number, w: readonly number[]): readonly number[] {
  return w.length === xRank + 1 && w[w.length - 1] === 1 ? w.slice(0, -1) : w;
}

function geometry(attrs: Attributes, xDims: readonly number[], wDims: readonly number[]): WindowGeometry {
  const kernel = attrs.has('kernel_shape') ? attrs.ints('kernel_shape') : wDims.slice(2);
  return windowGeometry(attrs, xDims.slice(2), kernel);
}

export const Conv: OpDef = {
  type: 'Conv',
  infer(ctx) {
    const x = ctx.inputs[0];
    const w = ctx.inputs[1];
    const xd = knownDims(x?.dims);
    const wd = knownDims(w?.dims);
    if (!xd || !wd) {
      const rank = x?.dims?.length;
      const dims: Dim[] | undefined = rank ? [x!.dims![0], w?.dims?.[0] ?? null, ...new Array(rank - 2).fill(null)] : undefined;
      return [{ type: x?.type, dims }];
    }
    const wdims = weightDims(xd.length, wd);
    const g = geometry(ctx.attrs, xd, wdims);
    const group = ctx.attrs.int('group', 1);
    check(xd[1] === wdims[1] * group, () => `input has ${xd[1]} channels, weight expects ${wdims[1]} x group ${group}`);
    return [{ type: x!.type, dims: [xd[0], wdims[0], ...g.out] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const b = ctx.inputs[2];
    check(isFloat(x.type) && x.type === w.type, () => `unsupported types ${x.type} x ${w.type}`);
    const wDims = weightDims(x.dims.length, w.dims);
    check(x.dims.length >= 3 && wDims.length === x.dims.length, () => `input rank ${x.dims.length} and weight rank ${w.dims.length} do not match`);
    const group = ctx.attrs.int('group', 1);
    const [n, c] = x.dims;
    const m = wDims[0];
    check(c === wDims[1] * group, () => `input has ${c} channels, weight expects ${wDims[1]} x group ${group}`);
    check(m % group === 0, () => `${m} output channels are not divisible by group ${group}`);
    check(!b || b.size === m, () => `bias has ${b?.size} values for ${m} output channels`);
    const g = geometry(ctx.attrs, x.dims, wDims);
    const outDims = [n, m, ...g.out];
    const out = new Float32Array(shapeSize(outDims));
    const xs = asNumbers(x);
    const ws = asNumbers(w);
    const bs = b ? asNumbers(b) : undefined;
    if (x.dims.length <= 4) conv2d(xs, x.dims, ws, wDims, bs, group, g, out, outDims);
    else convNd(xs, x.dims, ws, wDims, bs, group, g, out, outDims);
    return [new Tensor(x.type, (x.type === 'float32' ? out : encodeNumbers(x.type, out)) as never, outDims)];
  },
};

/**
 * Direct 1-D/2-D convolution: for each (output channel, input channel, kernel tap) accumulate a
 * scaled input row into the output row, with the valid output range computed once per tap.
 */
function conv2d(
  x: ArrayLike<number>,
  xDims: readonly number[],
  w: ArrayLike<number>,
  wDims: readonly number[],
  bias: ArrayLike<number> | undefined,
  group: number,
  g: WindowGeometry,
  out: Float32Array,
  outDims: readonly number[],
): void {
  const is1d = xDims.length === 3;
  const [n, c] = xDims;
  const H = is1d ? 1 : xDims[2];
  const W = xDims[xDims.length - 1];
  const m = wDims[0];
  const kh = is1d ? 1 : wDims[2];
  const kw = wDims[wDims.length - 1];
  const OH = is1d ? 1 : outDims[2];
  const OW = outDims[outDims.length - 1];
  const [sh, sw] = is1d ? [1, g.strides[0]] : g.strides;
  const [dh, dw] = is1d ? [1, g.dilations[0]] : g.dilations;
  const [ph, pw] = is1d ? [0, g.padsBegin[0]] : g.padsBegin;
  const cg = c / group;
  const mg = m / group;
  const plane = OH * OW;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const o0 = (b * m + oc) * plane;
      if (bias) out.fill(bias[oc], o0, o0 + plane);
      const gi = Math.floor(oc / mg);
      for (let ci = 0; ci < cg; ci++) {
        const x0 = (b * c + gi * cg + ci) * H * W;
        const w0 = (oc * cg + ci) * kh * kw;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = w[w0 + ky * kw + kx];
            if (wv === 0) continue;
            const xoff = kx * dw - pw;
            // Output columns whose input column ow*sw + xoff lies in [0, W).
            const owLo = Math.max(0, Math.ceil(-xoff / sw));
            const owHi = Math.min(OW, Math.floor((W - 1 - xoff) / sw) + 1);
            if (owLo >= owHi) continue;
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * sh - ph + ky * dh;
              if (iy < 0 || iy >= H) continue;
              const orow = o0 + oy * OW;
              const irow = x0 + iy * W + xoff;
              if (sw === 1) for (let ox = owLo; ox < owHi; ox++) out[orow + ox] += wv * x[irow + ox];
              else for (let ox = owLo; ox < owHi; ox++) out[orow + ox] += wv * x[irow + ox * sw];
            }
          }
        }
      }
    }
  }
}

/** Any number of spatial axes: straightforward loops over output positions and kernel taps. */
function convNd(
  x: ArrayLike<number>,
  xDims: readonly number[],
  w: ArrayLike<number>,
  wDims: readonly number[],
  bias: ArrayLike<number> | undefined,
  group: number,
  g: WindowGeometry,
  out: Float32Array,
  outDims: readonly number[],
): void {
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
