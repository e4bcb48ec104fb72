import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

type Padding = 'zeros' | 'border' | 'reflection';

const CUBIC_A = -0.75;

/** Keys cubic convolution weights for the taps at offsets -1, 0, 1, 2 of a fraction t. */
function cubicWeights(t: number, w: Float64Array, at: number): void {
  const A = CUBIC_A;
  const t1 = t + 1;
  const s = 1 - t;
  const s1 = 2 - t;
  w[at] = ((A * t1 - 5 * A) * t1 + 8 * A) * t1 - 4 * A;
  w[at + 1] = ((A + 2) * t - (A + 3)) * t * t + 1;
  w[at + 2] = ((A + 2) * s - (A + 3)) * s * s + 1;
  w[at + 3] = ((A * s1 - 5 * A) * s1 + 8 * A) * s1 - 4 * A;
}

/** Reflects x into [lo, hi] by bouncing off the nearer border as often as needed. */
function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

/** Round half to even (std::nearbyint), as the ONNX reference and onnxruntime do in every rank. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

/**
 * GridSample (opset 16 2-D, opset 20 N-D): samples X [N, C, D1..Dk] at the normalised coordinates of
 * grid [N, O1..Ok, k] (x first, i.e. reversed axis order) with nearest, (bi)linear or (bi)cubic
 * interpolation and zeros/border/reflection padding. Output [N, C, O1..Ok].
 */
export const GridSample: OpDef = {
  type: 'GridSample',
  infer(ctx) {
    const x = ctx.inputs[0];
    const g = ctx.inputs[1];
    const dims: Dim[] | undefined =
      x?.dims && g?.dims ? [x.dims[0], x.dims[1], ...g.dims.slice(1, -1)] : undefined;
    return [{ type: x?.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const grid = input(ctx, 1);
    check(isFloat(x.type) && isFloat(grid.type), () => `types ${x.type}, ${grid.type} are not supported`);
    const k = x.dims.length - 2;
    check(k >= 1, () => `X must be [N, C, D1..Dk], got ${formatShape(x.dims)}`);
    check(
      grid.dims.length === k + 2 && grid.dims[0] === x.dims[0] && grid.dims[k + 1] === k,
      () => `grid shape ${formatShape(grid.dims)} does not fit X shape ${formatShape(x.dims)}`,
    );
    const modeName = ctx.attrs.string('mode', ctx.opset < 20 ? 'bilinear' : 'linear');
    const mode = modeName === 'bilinear' ? 'linear' : modeName === 'bicubic' ? 'cubic' : modeName;
    check(['nearest', 'linear', 'cubic'].includes(mode), () => `unknown mode '${modeName}'`);
    const padding = ctx.attrs.string('padding_mode', 'zeros') as Padding;
    check(['zeros', 'border', 'reflection'].includes(padding), () => `unknown padding_mode '${padding}'`);
    const align = ctx.attrs.int('align_corners', 0) !== 0;

    const [n, c] = x.dims;
    const spatial = x.dims.slice(2);
    const strides = stridesOf(spatial);
    const inSize = shapeSize(spatial);
    const outSpatial = grid.dims.slice(1, -1);
    const outSize = shapeSize(outSpatial);
    const xv = asNumbers(x);
    const gv = asNumbers(grid);
    const out = new Float64Array(n * c * outSize);
    const taps = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
    const combos = taps ** k;
    // Per dimension: tap offsets (-1 = zero padding) and weights; then their products over all dims.
    const tapOff = new Int32Array(k * taps);
    const tapW = new Float64Array(k * taps);
    const comboOff = new Int32Array(combos);
    const comboW = new Float64Array(combos);
    const lo = spatial.map(() => (align ? 0 : -0.5));
    const hi = spatial.map((d) => (align ? d - 1 : d - 0.5));
    const fetch = (i: number, dim: number): number => {
      const d = spatial[dim];
      if (i >= 0 && i < d) return i;
      if (padding === 'zeros') return -1;
      if (padding === 'border') return Math.min(Math.max(i, 0), d - 1);
      return Math.trunc(reflect(i, lo[dim], hi[dim]));
    };

    for (let b = 0; b < n; b++) {
      for (let o = 0; o < outSize; o++) {
        const gBase = (b * outSize + o) * k;
        for (let dim = 0; dim < k; dim++) {
          const d = spatial[dim];
          const g = gv[gBase + k - 1 - dim];
          let p = align ? ((g + 1) / 2) * (d - 1) : ((g + 1) * d - 1) / 2;
          if (mode === 'nearest') p = roundHalfEven(p);
          if (p < lo[dim] || p > hi[dim]) {
            if (padding === 'border') p = Math.min(Math.max(p, 0), d - 1);
            else if (padding === 'reflection') p = reflect(p, lo[dim], hi[dim]);
          }
          const at = dim * taps;
          if (mode === 'nearest') {
            tapOff[at] = fetch(Math.trunc(p), dim);
            tapW[at] = 1;
            continue;
          }
          const p0 = Math.floor(p);
          const t = p - p0;
          if (mode === 'linear') {
            tapW[at] = 1 - t;
            tapW[at + 1] = t;
          } else cubicWeights(t, tapW, at);
          const first = mode === 'linear' ? p0 : p0 - 1;
          for (let j = 0; j < taps; j++) tapOff[at + j] = fetch(first + j, dim);
        }
        for (let m = 0; m < combos; m++) {
          let off = 0;
          let w = 1;
          let rest = m;
          for (let dim = k - 1; dim >= 0; dim--) {
            const j = dim * taps + (rest % taps);
            rest = Math.floor(rest / taps);
            const idx = tapOff[j];
            if (idx < 0) {
              w = 0;
              break;
            }
            off += idx * strides[dim];
            w *= tapW[j];
          }
          comboOff[m] = off;
          comboW[m] = w;
        }
        for (let ch = 0; ch < c; ch++) {
          const base = (b * c + ch) * inSize;
          let sum = 0;
          for (let m = 0; m < combos; m++) if (comboW[m] !== 0) sum += comboW[m] * xv[base + comboOff[m]];
          out[(b * c + ch) * outSize + o] = sum;
        }
      }
    }
    return [new Tensor(x.type, encodeNumbers(x.type, out) as never, [n, c, ...outSpatial])];
  },
};
