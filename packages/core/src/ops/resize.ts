import type { Dim } from '../graph/graph.js';
import { asInts, asNumbers, encodeNumbers } from '../tensor/convert.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

/**
 * Resize (opset 10-19) and, through the same code, Upsample: nearest, linear and cubic modes with
 * every coordinate transformation, applied separably one axis at a time.
 */

interface Target {
  readonly outDims: number[];
  /** Scale per axis (output/input when sizes are given). */
  readonly scales: number[];
}

function target(
  attrs: Attributes,
  dims: readonly number[],
  scalesT: Tensor | undefined,
  sizesT: Tensor | undefined,
): Target {
  const rank = dims.length;
  const axes = attrs.has('axes')
    ? attrs.ints('axes').map((a) => normalizeAxis(a, rank))
    : [...Array(rank).keys()];
  const scales = new Array<number>(rank).fill(1);
  const outDims = [...dims];
  if (sizesT && sizesT.size > 0) {
    const sizes = asInts(sizesT);
    check(sizes.length === axes.length, () => `sizes has ${sizes.length} values for ${axes.length} axes`);
    const policy = attrs.string('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') {
      axes.forEach((a, i) => {
        outDims[a] = sizes[i];
        scales[a] = sizes[i] / dims[a];
      });
    } else {
      const ratios = axes.map((a, i) => sizes[i] / dims[a]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      check(
        policy === 'not_larger' || policy === 'not_smaller',
        () => `unknown keep_aspect_ratio_policy '${policy}'`,
      );
      for (const a of axes) {
        scales[a] = s;
        outDims[a] = Math.round(dims[a] * s);
      }
    }
  } else {
    check(scalesT && scalesT.size > 0, 'either scales or sizes is required');
    const sc = asNumbers(scalesT);
    check(sc.length === axes.length, () => `scales has ${sc.length} values for ${axes.length} axes`);
    axes.forEach((a, i) => {
      check(sc[i] > 0, 'scales must be positive');
      scales[a] = sc[i];
      outDims[a] = Math.floor(dims[a] * sc[i]);
    });
  }
  return { outDims, scales };
}

/**
 * Maps an output coordinate to the input coordinate system. Like ONNX's reference, the resized
 * length is scale * inSize, which differs from the integer output size when scales are given.
 */
function sourceCoordinate(
  mode: string,
  x: number,
  scale: number,
  inSize: number,
  outSize: number,
  roiStart: number,
  roiEnd: number,
): number {
  const resized = scale * inSize;
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outSize / resized;
      const center = inSize / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return resized > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    case 'align_corners':
      return resized === 1 ? 0 : (x * (inSize - 1)) / (resized - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_crop_and_resize':
      return resized > 1
        ? roiStart * (inSize - 1) + (x * (roiEnd - roiStart) * (inSize - 1)) / (resized - 1)
        : 0.5 * (roiStart + roiEnd) * (inSize - 1);
    default:
      throw new Error(`unknown coordinate_transformation_mode '${mode}'`);
  }
}

/**
 * Nearest input index. 'simple' is Resize-10/Upsample's rule as onnxruntime implements it (those
 * opsets have no nearest_mode): ceil when downsampling, floor otherwise.
 */
function nearestIndex(mode: string, x: number, scale: number): number {
  switch (mode) {
    case 'round_prefer_floor':
      return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'simple':
      return scale < 1 ? Math.ceil(x) : Math.floor(x);
    default:
      throw new Error(`unknown nearest_mode '${mode}'`);
  }
}

function cubicKernel(t: number, a: number): number {
  const x = Math.abs(t);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/** Taps per output index along one axis: input indices and weights; `null` = extrapolate. */
type Taps = ({ idx: number[]; w: number[] } | null)[];

function axisTaps(
  attrs: Attributes,
  opset: number,
  mode: string,
  inSize: number,
  outSize: number,
  scale: number,
  roiStart: number,
  roiEnd: number,
): Taps {
  const coordMode = attrs.string('coordinate_transformation_mode', opset < 11 ? 'asymmetric' : 'half_pixel');
  const nearestMode = attrs.string('nearest_mode', opset < 11 ? 'simple' : 'round_prefer_floor');
  const cubicA = attrs.float('cubic_coeff_a', -0.75);
  const excludeOutside = attrs.int('exclude_outside', 0) === 1;
  check(mode === 'nearest' || mode === 'linear' || mode === 'cubic', () => `unknown mode '${mode}'`);
  // Antialiasing widens the filter by 1/scale when downsampling (a triangle or cubic low-pass).
  const antialias = attrs.int('antialias', 0) === 1 && mode !== 'nearest';
  const stretch = antialias ? Math.min(scale, 1) : 1;
  const support = mode === 'cubic' ? 2 : 1;
  const start = Math.floor(-support / stretch) + 1;
  const kernel = (t: number) => (mode === 'cubic' ? cubicKernel(t, cubicA) : Math.max(0, 1 - Math.abs(t)));
  const taps: Taps = [];
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < outSize; o++) {
    const x = sourceCoordinate(coordMode, o, scale, inSize, outSize, roiStart, roiEnd);
    if (coordMode === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1)) {
      taps.push(null);
      continue;
    }
    if (mode === 'nearest') {
      taps.push({ idx: [clamp(nearestIndex(nearestMode, x, scale))], w: [1] });
      continue;
    }
    // Input positions f + start .. f + 1 - start around x; beyond the edges they repeat the edge element.
    const f = Math.floor(x);
    const raw: number[] = [];
    const w: number[] = [];
    for (let i = start; i <= 1 - start; i++) {
      raw.push(f + i);
      w.push(kernel(stretch * (f + i - x)));
    }
    if (antialias) normalize(w);
    if (excludeOutside) {
      raw.forEach((p, k) => {
        if (p < 0 || p >= inSize) w[k] = 0;
      });
      normalize(w);
    }
    taps.push({ idx: raw.map(clamp), w });
  }
  return taps;
}

function normalize(w: number[]): void {
  const sum = w.reduce((s, v) => s + v, 0);
  for (let k = 0; k < w.length; k++) w[k] /= sum;
}

/** Applies taps along `axis` of a row-major float array. */
function resample(
  src: Float64Array,
  dims: number[],
  axis: number,
  taps: Taps,
  extrapolation: number,
): Float64Array {
  const outDims = [...dims];
  outDims[axis] = taps.length;
  const outer = shapeSize(dims.slice(0, axis));
  const inner = shapeSize(dims.slice(axis + 1));
  const out = new Float64Array(shapeSize(outDims));
  const inLen = dims[axis];
  for (let b = 0; b < outer; b++) {
    for (let o = 0; o < taps.length; o++) {
      const t = taps[o];
      const dst = (b * taps.length + o) * inner;
      if (!t) {
        out.fill(extrapolation, dst, dst + inner);
        continue;
      }
      for (let k = 0; k < t.idx.length; k++) {
        const wk = t.w[k];
        if (wk === 0) continue;
        const s = (b * inLen + t.idx[k]) * inner;
        for (let j = 0; j < inner; j++) out[dst + j] += wk * src[s + j];
      }
    }
  }
  return out;
}

export function runResize(
  x: Tensor,
  attrs: Attributes,
  opset: number,
  roi: Tensor | undefined,
  scales: Tensor | undefined,
  sizes: Tensor | undefined,
): Tensor {
  const mode = attrs.string('mode', 'nearest');
  const { outDims, scales: sc } = target(attrs, x.dims, scales, sizes);
  const rank = x.dims.length;
  const r = roi && roi.size > 0 ? asNumbers(roi) : undefined;
  const axes = attrs.has('axes')
    ? attrs.ints('axes').map((a) => normalizeAxis(a, rank))
    : [...Array(rank).keys()];
  const roiStart = new Array<number>(rank).fill(0);
  const roiEnd = new Array<number>(rank).fill(1);
  if (r) {
    axes.forEach((a, i) => {
      roiStart[a] = r[i];
      roiEnd[a] = r[i + axes.length];
    });
  }
  let data: Float64Array = Float64Array.from(asNumbers(x));
  let dims = [...x.dims];
  const extrapolation = attrs.float('extrapolation_value', 0);
  for (let a = 0; a < rank; a++) {
    if (outDims[a] === dims[a] && sc[a] === 1 && roiStart[a] === 0 && roiEnd[a] === 1) continue;
    const taps = axisTaps(attrs, opset, mode, dims[a], outDims[a], sc[a], roiStart[a], roiEnd[a]);
    data = resample(data, dims, a, taps, extrapolation);
    dims = [...dims];
    dims[a] = outDims[a];
  }
  return new Tensor(x.type, encodeNumbers(x.type, data) as never, outDims, x.quant);
}

export const Resize: OpDef = {
  type: 'Resize',
  infer(ctx) {
    const x = ctx.inputs[0];
    const scalesIdx = ctx.opset < 11 ? 1 : 2;
    const s = ctx.inputs[scalesIdx];
    const z = ctx.inputs[3];
    const xd = x?.dims;
    if (!xd) return [{ type: x?.type }];
    if (
      xd.every((d) => typeof d === 'number') &&
      ((z?.value && z.value.size > 0) || (s?.value && s.value.size > 0))
    ) {
      const t = target(ctx.attrs, xd as number[], s?.value, z?.value);
      return [{ type: x!.type, dims: t.outDims }];
    }
    return [{ type: x!.type, dims: xd.map((): Dim => null) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    if (ctx.opset < 11) return [runResize(x, ctx.attrs, ctx.opset, undefined, ctx.inputs[1], undefined)];
    return [runResize(x, ctx.attrs, ctx.opset, ctx.inputs[1], ctx.inputs[2], ctx.inputs[3])];
  },
};
