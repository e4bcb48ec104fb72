import type { Dim } from '../graph/graph.js';
import { input, type OpDef } from './op.js';
import { int64Tensor } from './support/tensor-data.js';

/** The [start, end) range of dims Shape returns (opset 15 attributes; negative values count from the end, clamped). */
function shapeRange(rank: number, start: number, end: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = clamp(start);
  return [s, Math.max(s, clamp(end))];
}

export const Shape: OpDef = {
  type: 'Shape',
  infer(ctx) {
    const dims = ctx.inputs[0]?.dims;
    if (!dims) return [{ type: 'int64', dims: [null] }];
    const [s, e] = shapeRange(dims.length, ctx.attrs.int('start', 0), ctx.attrs.int('end', dims.length));
    const part: readonly Dim[] = dims.slice(s, e);
    // Known dims make Shape a constant, so the shape arithmetic after it folds at plan time.
    const known = part.every((d) => typeof d === 'number');
    return [{ type: 'int64', dims: [e - s], value: known ? int64Tensor(part as number[]) : undefined }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const rank = x.dims.length;
    const [s, e] = shapeRange(rank, ctx.attrs.int('start', 0), ctx.attrs.int('end', rank));
    return [int64Tensor(x.dims.slice(s, e))];
  },
};
