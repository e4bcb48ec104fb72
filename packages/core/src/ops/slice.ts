import { SLICE_LAST_AXES_ATTR } from '../formats/onnxstream/model-txt.js';
import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { allocData } from '../tensor/dtype.js';
import { normalizeAxis, shapeSize, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

interface SliceArgs {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

/**
 * Slice parameters from inputs (opset 10+) or attributes (opset 1; honoured at any opset when the
 * inputs are absent).
 */
function sliceArgs(
  attrs: Attributes,
  opset: number,
  rank: number,
  t: readonly (Tensor | undefined)[],
): SliceArgs | undefined {
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if ((opset < 10 || !t[1]) && attrs.has('starts')) {
    starts = [...attrs.ints('starts')];
    ends = [...attrs.ints('ends')];
    axes = attrs.has('axes') ? [...attrs.ints('axes')] : undefined;
  } else {
    if (!t[1] || !t[2]) return undefined;
    starts = asInts(t[1]);
    ends = asInts(t[2]);
    axes = t[3] ? asInts(t[3]) : undefined;
    steps = t[4] ? asInts(t[4]) : undefined;
  }
  const k = starts.length;
  check(ends.length === k, 'starts and ends must have the same length');
  if (!axes) {
    // OnnxStream slices the last axes when a model.txt Slice has no axes input.
    axes = attrs.int(SLICE_LAST_AXES_ATTR, 0) ? starts.map((_, i) => rank - k + i) : starts.map((_, i) => i);
  }
  axes = axes.map((a) => normalizeAxis(a, rank, 'slice axis'));
  check(new Set(axes).size === axes.length, 'slice axes must be unique');
  steps = steps ?? starts.map(() => 1);
  check(steps.length === k && axes.length === k, 'axes and steps must match starts');
  check(
    steps.every((s) => s !== 0),
    'slice steps cannot be 0',
  );
  return { starts, ends, axes, steps };
}

/** Clamped start and element count of one sliced axis (ONNX rules). */
function axisRange(dim: number, start: number, end: number, step: number): [number, number] {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return [s, Math.max(0, Math.ceil((e - s) / step))];
  }
  s = Math.min(Math.max(s, 0), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return [s, Math.max(0, Math.ceil((s - e) / -step))];
}

export const Slice: OpDef = {
  type: 'Slice',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type }];
    const rank = x.dims.length;
    const known = ctx.inputs.slice(1).every((m) => !m || m.value);
    if (!known) return [{ type: x.type, dims: new Array<Dim>(rank).fill(null) }];
    const args = sliceArgs(
      ctx.attrs,
      ctx.opset,
      rank,
      ctx.inputs.map((m) => m?.value),
    );
    if (!args) return [{ type: x.type }];
    const dims: Dim[] = [...x.dims];
    args.axes.forEach((a, i) => {
      const d = x.dims![a];
      dims[a] = typeof d === 'number' ? axisRange(d, args.starts[i], args.ends[i], args.steps[i])[1] : null;
    });
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const rank = x.dims.length;
    const args = sliceArgs(ctx.attrs, ctx.opset, rank, ctx.inputs);
    check(args, 'starts and ends are required');
    const start = new Array<number>(rank).fill(0);
    const step = new Array<number>(rank).fill(1);
    const outDims = [...x.dims];
    args.axes.forEach((a, i) => {
      const [s, n] = axisRange(x.dims[a], args.starts[i], args.ends[i], args.steps[i]);
      start[a] = s;
      step[a] = args.steps[i];
      outDims[a] = n;
    });
    const n = shapeSize(outDims);
    const out = allocData(x.type, n) as Float32Array;
    const src = x.data as Float32Array;
    const strides = stridesOf(x.dims);
    if (n > 0) {
      const counter = new Array<number>(rank).fill(0);
      let base = 0;
      for (let d = 0; d < rank; d++) base += start[d] * strides[d];
      let off = base;
      for (let o = 0; o < n; o++) {
        out[o] = src[off];
        for (let d = rank - 1; d >= 0; d--) {
          counter[d]++;
          off += step[d] * strides[d];
          if (counter[d] < outDims[d]) break;
          off -= step[d] * strides[d] * outDims[d];
          counter[d] = 0;
        }
      }
    }
    return [new Tensor(x.type, out as never, outDims, x.quant)];
  },
};
