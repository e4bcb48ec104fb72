import type { Dim } from '../graph/graph.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { input, type OpDef } from './op.js';
import {
  compareScalars,
  dimProduct,
  int64Tensor,
  scalarsOf,
  takeSlices,
  tensorOf,
} from './support/tensor-data.js';

/**
 * Unique: the distinct elements (or, with `axis`, distinct slices along it), sorted ascending
 * (lexicographically for slices) or in order of first occurrence; plus the first-occurrence indices,
 * the inverse indices and the counts.
 */
export const Unique: OpDef = {
  type: 'Unique',
  infer(ctx) {
    const x = ctx.inputs[0];
    const hasAxis = ctx.attrs.has('axis');
    let dims: Dim[] | undefined = [null];
    if (hasAxis) {
      if (x?.dims) {
        dims = [...x.dims];
        dims[normalizeAxis(ctx.attrs.int('axis'), x.dims.length)] = null;
      } else dims = undefined;
    }
    const inverse = hasAxis ? [null] : [x?.dims ? dimProduct(x.dims) : null];
    return [
      { type: x?.type, dims },
      { type: 'int64', dims: [null] },
      { type: 'int64', dims: inverse },
      { type: 'int64', dims: [null] },
    ];
  },
  run(ctx) {
    const x0 = input(ctx, 0);
    const hasAxis = ctx.attrs.has('axis');
    const x: Tensor = hasAxis ? x0 : x0.reshape([x0.size]);
    const axis = hasAxis ? normalizeAxis(ctx.attrs.int('axis'), x.dims.length) : 0;
    const n = x.dims[axis];
    const outer = shapeSize(x.dims.slice(0, axis));
    const inner = shapeSize(x.dims.slice(axis + 1));
    const v = scalarsOf(x);
    // Slice s holds elements (o * n + s) * inner + i.
    const compareSlices = (a: number, b: number): number => {
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const c = compareScalars(v[(o * n + a) * inner + i], v[(o * n + b) * inner + i]);
          if (c !== 0) return c;
        }
      }
      return 0;
    };
    // Equal slices sort by index, so each group starts with its first occurrence.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareSlices(a, b) || a - b);
    const groupOf = new Int32Array(n);
    const firsts: number[] = [];
    const counts: number[] = [];
    order.forEach((s, j) => {
      if (j === 0 || compareSlices(order[j - 1], s) !== 0) {
        firsts.push(s);
        counts.push(0);
      }
      groupOf[s] = firsts.length - 1;
      counts[counts.length - 1]++;
    });
    // Output position of each group: sorted order, or order of first occurrence.
    const g = firsts.length;
    const outOrder = Array.from({ length: g }, (_, i) => i);
    if (ctx.attrs.int('sorted', 1) === 0) outOrder.sort((a, b) => firsts[a] - firsts[b]);
    const position = new Int32Array(g);
    outOrder.forEach((grp, p) => {
      position[grp] = p;
    });
    const outDims = [...x.dims];
    outDims[axis] = g;
    const y = takeSlices(
      x,
      axis,
      outOrder.map((grp) => firsts[grp]),
    );
    return [
      tensorOf(x.type, y, outDims, x.quant),
      int64Tensor(outOrder.map((grp) => firsts[grp])),
      int64Tensor(Array.from(groupOf, (grp) => position[grp])),
      int64Tensor(outOrder.map((grp) => counts[grp])),
    ];
  },
};
