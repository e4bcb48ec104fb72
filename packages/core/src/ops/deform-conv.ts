import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { knownDims } from './support/infer.js';
import { gemmNN } from './support/matmul.js';
import { accumulatorFor, addChannelBias, tensorFromValues } from './support/nn-numeric.js';
import { weightKernel, windowGeometry } from './support/window.js';

/** Bilinear sample of a row-major h x w plane at fractional (y, x); positions outside read as 0. */
function bilinear(v: ArrayLike<number>, base: number, h: number, w: number, y: number, x: number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  let s = 0;
  for (let dy = 0; dy <= 1; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= h) continue;
    const wy = dy ? fy : 1 - fy;
    for (let dx = 0; dx <= 1; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= w) continue;
      s += wy * (dx ? fx : 1 - fx) * v[base + yy * w + xx];
    }
  }
  return s;
}

export const DeformConv: OpDef = {
  type: 'DeformConv',
  infer(ctx) {
    const [x, w, offset] = ctx.inputs;
    const od = knownDims(offset?.dims);
    const m: Dim = w?.dims?.[0] ?? null;
    if (!x?.dims) return [{ type: x?.type }];
    return [{ type: x.type, dims: [x.dims[0], m, ...(od ? od.slice(2) : x.dims.slice(2).map(() => null))] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const offset = input(ctx, 2);
    const bias = ctx.inputs[3];
    const mask = ctx.inputs[4];
    check(isFloat(x.type) && x.type === w.type, () => `unsupported types ${x.type} x ${w.type}`);
    check(
      x.dims.length === 4 && w.dims.length === 4,
      () => `only 2-D deformable convolution is supported, got input ${formatShape(x.dims)}`,
    );
    const [n, c, h, wd] = x.dims;
    const m = w.dims[0];
    const group = ctx.attrs.int('group', 1);
    const offsetGroups = ctx.attrs.int('offset_group', 1);
    const kernel = weightKernel(ctx.attrs, w.dims);
    const [kh, kw] = kernel;
    check(
      c === w.dims[1] * group && m % group === 0,
      () => `input has ${c} channels, weight ${formatShape(w.dims)} with group ${group}`,
    );
    check(c % offsetGroups === 0, () => `${c} channels are not divisible by offset_group ${offsetGroups}`);
    const g = windowGeometry(ctx.attrs, [h, wd], kernel);
    const [oh, ow] = g.out;
    const K = kh * kw;
    const P = oh * ow;
    check(
      offset.dims.length === 4 &&
        offset.dims[1] === offsetGroups * K * 2 &&
        offset.dims[2] === oh &&
        offset.dims[3] === ow,
      () =>
        `offset shape ${formatShape(offset.dims)} does not match (${n}, ${offsetGroups * K * 2}, ${oh}, ${ow})`,
    );
    check(
      !mask || mask.size === n * offsetGroups * K * P,
      () => `mask shape ${formatShape(mask!.dims)} does not match (${n}, ${offsetGroups * K}, ${oh}, ${ow})`,
    );
    const xv = asNumbers(x);
    const wv = asNumbers(w);
    const ov = asNumbers(offset);
    const mv = mask && asNumbers(mask);
    const cpo = c / offsetGroups;
    const cg = c / group;
    const mg = m / group;
    const outDims = [n, m, oh, ow];
    const out = accumulatorFor(x.type, shapeSize(outDims));
    // Columns [C*K, P] of offset, bilinearly sampled and masked inputs; then one GEMM per group.
    const col = new Float64Array(c * K * P);
    for (let b = 0; b < n; b++) {
      for (let ci = 0; ci < c; ci++) {
        const og = Math.floor(ci / cpo);
        const xBase = (b * c + ci) * h * wd;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const k = ky * kw + kx;
            const offBase = ((b * offsetGroups + og) * K + k) * 2 * P;
            const maskBase = ((b * offsetGroups + og) * K + k) * P;
            const colBase = (ci * K + k) * P;
            for (let oy = 0; oy < oh; oy++) {
              for (let ox = 0; ox < ow; ox++) {
                const p = oy * ow + ox;
                const y = oy * g.strides[0] - g.padsBegin[0] + ky * g.dilations[0] + ov[offBase + p];
                const xx = ox * g.strides[1] - g.padsBegin[1] + kx * g.dilations[1] + ov[offBase + P + p];
                const s = bilinear(xv, xBase, h, wd, y, xx);
                col[colBase + p] = mv ? s * mv[maskBase + p] : s;
              }
            }
          }
        }
      }
      for (let gi = 0; gi < group; gi++) {
        gemmNN(wv, gi * mg * cg * K, col, gi * cg * K * P, out, (b * m + gi * mg) * P, mg, cg * K, P);
      }
    }
    if (bias) addChannelBias(out, asNumbers(bias), P);
    return [tensorFromValues(x.type, out, outDims)];
  },
};
