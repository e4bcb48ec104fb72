import type { Dim } from '../graph/graph.js';
import { allocData } from '../tensor/dtype.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, type OpDef } from './op.js';

export function concat(tensors: readonly Tensor[], axisAttr: number): Tensor {
  // OnnxStream treats rank-0 inputs as [1].
  const xs = tensors.map((t) => (t.dims.length === 0 ? t.reshape([1]) : t));
  const first = xs[0];
  const rank = first.dims.length;
  const axis = normalizeAxis(axisAttr, rank);
  for (const t of xs) {
    check(t.type === first.type, () => `input types differ: ${first.type} and ${t.type}`);
    check(
      t.dims.length === rank && t.dims.every((d, i) => i === axis || d === first.dims[i]),
      () => `input shapes [${first.dims}] and [${t.dims}] differ outside axis ${axis}`,
    );
  }
  const outDims = [...first.dims];
  outDims[axis] = xs.reduce((s, t) => s + t.dims[axis], 0);
  const outer = shapeSize(first.dims.slice(0, axis));
  const inner = shapeSize(first.dims.slice(axis + 1));
  const out = allocData(first.type, shapeSize(outDims)) as Float32Array;
  const outRow = outDims[axis] * inner;
  let offset = 0;
  for (const t of xs) {
    const src = t.data as Float32Array;
    const row = t.dims[axis] * inner;
    if (row > 0) {
      for (let o = 0; o < outer; o++) {
        if (Array.isArray(src)) for (let j = 0; j < row; j++) out[o * outRow + offset + j] = src[o * row + j];
        else out.set(src.subarray(o * row, (o + 1) * row), o * outRow + offset);
      }
    }
    offset += row;
  }
  return new Tensor(first.type, out as never, outDims);
}

export const Concat: OpDef = {
  type: 'Concat',
  infer(ctx) {
    const xs = ctx.inputs.filter((m) => m !== undefined);
    const type = xs[0]?.type;
    if (xs.some((m) => !m.dims)) return [{ type }];
    const shapes = xs.map((m) => (m.dims!.length === 0 ? [1] : m.dims!));
    const rank = shapes[0].length;
    const axis = normalizeAxis(ctx.attrs.int('axis'), rank);
    const dims: Dim[] = [...shapes[0]];
    let sum: Dim = 0;
    for (const s of shapes) {
      check(s.length === rank, 'all inputs must have the same rank');
      sum = typeof sum === 'number' && typeof s[axis] === 'number' ? sum + (s[axis] as number) : null;
    }
    dims[axis] = sum;
    return [{ type, dims }];
  },
  run: (ctx) => [
    concat(
      ctx.inputs.filter((t): t is Tensor => t !== undefined),
      ctx.attrs.int('axis'),
    ),
  ],
};
