/**
 * Data movement on float32, and on float16 under fp16 arithmetic (2-byte elements moved as they
 * are): Transpose (any perm, reduced natively to 2-D transposes or row copies), Concat and Split
 * (row copies; a Split into contiguous runs makes views), Slice (any axes and steps).
 */
import { asInts, DTYPES, type KernelCall, normalizeAxis, shapeSize, type Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import {
  allFloat16,
  allFloat32,
  elemParam,
  isFloat,
  type KernelOp,
  outputDims,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { reference, valueDims, view } from './support.js';

/** An output of x's element type (where the engine placed it, given the call). */
const outputOf = (binding: KernelBinding, x: Tensor, dims: readonly number[], call?: KernelCall): Tensor =>
  outputTensor(binding, dims, x.type as 'float32' | 'float16', call);

export const transposeOps: KernelOp = {
  types: ['Transpose'],
  placesOutputs: true,
  replayable: true,
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const rank = x.dims.length;
    const dims = outputDims(call);
    const perm = call.attrs.has('perm')
      ? call.attrs.ints('perm').map((a) => (a < 0 ? a + rank : a))
      : [...Array(rank).keys()].reverse();
    const y = outputOf(binding, x, dims, call);
    await runKernel(
      binding,
      'transpose_f32',
      x.size,
      [view(x), view(y)],
      [rank, ...x.dims, ...perm, ...elemParam(x)],
    );
    return [y];
  },
};

export const concatOps: KernelOp = {
  types: ['Concat'],
  placesOutputs: true,
  replayable: true,
  supports: (_node, types) =>
    types.length > 0 && ((types[0] === 'float32' && allFloat32(types)) || allFloat16(types)),
  async run(call, binding) {
    // Rank-0 inputs count as (1), as in OnnxStream.
    const xs = call.inputs.filter((t): t is Tensor => t !== undefined);
    const dims = outputDims(call);
    const axis = normalizeAxis(call.attrs.int('axis'), dims.length);
    const inner = shapeSize(dims.slice(axis + 1));
    const outer = shapeSize(dims.slice(0, axis));
    const y = outputOf(binding, xs[0], dims, call);
    const runs = xs.map((t) => (t.dims.length ? t.dims[axis] : 1) * inner);
    if (outer !== 1) {
      await copyInto(binding, y, xs, runs, outer);
      return [y];
    }
    // Each input is one run of y: copy those not computed in place already (planner/concat-in-place.ts),
    // consecutive ones in one call.
    let first = 0;
    let offset = 0;
    let at = 0;
    for (let k = 0; k <= xs.length; k++) {
      const placed = k < xs.length && isAt(xs[k], y, offset);
      if (k === xs.length || placed) {
        if (k > first) {
          const size = offset - at;
          const part = size === y.size ? y : y.subview(at, [size]);
          await copyInto(binding, part, xs.slice(first, k), runs.slice(first, k), 1);
        }
        first = k + 1;
        at = offset + (k < xs.length ? runs[k] : 0);
      }
      if (k < xs.length) offset += runs[k];
    }
    return [y];
  },
};

/** Whether x's data is y's from element `offset` on (computed there in place). */
function isAt(x: Tensor, y: Tensor, offset: number): boolean {
  const a = x.data as ArrayBufferView;
  const b = y.data as ArrayBufferView;
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset + offset * DTYPES[y.type].bytes;
}

/** Concatenates `xs` into `y`: `outer` times, a run of `runs[k]` elements of each. */
async function copyInto(
  binding: KernelBinding,
  y: Tensor,
  xs: readonly Tensor[],
  runs: readonly number[],
  outer: number,
): Promise<void> {
  await runKernel(
    binding,
    'concat_f32',
    y.size,
    [view(y), ...xs.map(view)],
    [outer, xs.length, ...runs, ...elemParam(y)],
  );
}

export const splitOps: KernelOp = {
  types: ['Split'],
  replayable: true,
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const axis = normalizeAxis(call.attrs.int('axis', 0), x.dims.length);
    const outs = Array.from({ length: call.outputCount }, (_, i) => valueDims(call, i));
    // Sizes that do not add up are the reference's error to report.
    if (outs.reduce((s, d) => s + d[axis], 0) !== x.dims[axis]) return reference(call);
    const inner = shapeSize(x.dims.slice(axis + 1));
    const outer = shapeSize(x.dims.slice(0, axis));
    // Each output a contiguous run of x's elements: views of x, no copy (YOLOv8n's nine Splits, 2 ms).
    if (outer === 1) {
      let offset = 0;
      return outs.map((d) => {
        const y = x.subview(offset, d);
        offset += y.size;
        return y;
      });
    }
    const ys = outs.map((d) => outputOf(binding, x, d));
    await runKernel(
      binding,
      'split_f32',
      x.size,
      [view(x), ...ys.map(view)],
      [outer, ys.length, ...outs.map((d) => d[axis] * inner), ...elemParam(x)],
    );
    return ys;
  },
};

/** Per axis: first element and step of the slice (the output dims say how many). */
function sliceWalk(call: KernelCall, dims: readonly number[]): [number[], number[]] | undefined {
  const rank = dims.length;
  const t = call.inputs;
  const a = call.attrs;
  const fromAttrs = (call.opset < 10 || !t[1]) && a.has('starts');
  if (!fromAttrs && (!t[1] || !t[2])) return undefined;
  const starts = fromAttrs ? a.ints('starts') : asInts(t[1]!);
  const k = starts.length;
  const given = fromAttrs ? (a.has('axes') ? a.ints('axes') : undefined) : t[3] && asInts(t[3]);
  // OnnxStream's model.txt Slice without axes slices the last axes (core's onnxstream_slice_last_axes).
  const lastAxes = a.int('onnxstream_slice_last_axes', 0) !== 0;
  const axes = (given ?? starts.map((_, i) => (lastAxes ? rank - k + i : i))).map((x) =>
    normalizeAxis(x, rank),
  );
  const steps = !fromAttrs && t[4] ? asInts(t[4]) : starts.map(() => 1);
  const first = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  axes.forEach((ax, i) => {
    const d = dims[ax];
    const s = starts[i] < 0 ? starts[i] + d : starts[i];
    // ONNX clamps the start to [0, d] going forward and to [0, d - 1] going backward.
    first[ax] = steps[i] > 0 ? Math.min(Math.max(s, 0), d) : Math.min(Math.max(s, 0), d - 1);
    step[ax] = steps[i];
  });
  return [first, step];
}

export const sliceOps: KernelOp = {
  types: ['Slice'],
  placesOutputs: true,
  replayable: true,
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const dims = valueDims(call);
    const walk = sliceWalk(call, x.dims);
    if (!walk || x.dims.length === 0) return reference(call);
    const y = outputOf(binding, x, dims, call);
    if (y.size > 0) {
      await runKernel(
        binding,
        'slice_f32',
        y.size,
        [view(x), view(y)],
        [x.dims.length, ...x.dims, ...walk[0], ...walk[1], ...dims, ...elemParam(x)],
      );
    }
    return [y];
  },
};
