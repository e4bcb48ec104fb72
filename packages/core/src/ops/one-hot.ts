import type { Dim } from '../graph/graph.js';
import { asNumbers, scalarOf } from '../tensor/convert.js';
import { shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { allocElements, elementsOf, tensorOf } from './support/tensor-data.js';

/** Where the depth axis goes: `axis` in [-(rank+1), rank], default -1 (last). */
function oneHotAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank + 1 : axis;
  check(a >= 0 && a <= rank, () => `axis ${axis} is out of range for an output of rank ${rank + 1}`);
  return a;
}

/**
 * OneHot: a new axis of size `depth` holding values[1] at each index (negative indices count from
 * depth) and values[0] elsewhere; out-of-range indices give an all-off row.
 */
export const OneHot: OpDef = {
  type: 'OneHot',
  infer(ctx) {
    const [idx, depth, values] = ctx.inputs;
    if (!idx?.dims) return [{ type: values?.type }];
    const axis = oneHotAxis(ctx.attrs.int('axis', -1), idx.dims.length);
    const d: Dim = depth?.value ? Math.trunc(scalarOf(depth.value, 'depth')) : null;
    return [{ type: values?.type, dims: [...idx.dims.slice(0, axis), d, ...idx.dims.slice(axis)] }];
  },
  run(ctx) {
    const indices = input(ctx, 0);
    const depth = Math.trunc(scalarOf(input(ctx, 1), 'depth'));
    const values = input(ctx, 2);
    check(depth > 0, () => `depth must be positive, got ${depth}`);
    check(values.size === 2, () => `values must hold [off, on], has ${values.size} elements`);
    const axis = oneHotAxis(ctx.attrs.int('axis', -1), indices.dims.length);
    const outDims = [...indices.dims.slice(0, axis), depth, ...indices.dims.slice(axis)];
    const outer = shapeSize(indices.dims.slice(0, axis));
    const inner = shapeSize(indices.dims.slice(axis));
    const [off, on] = [elementsOf(values)[0], elementsOf(values)[1]];
    const out = allocElements(values.type, outer * depth * inner);
    for (let i = 0; i < out.length; i++) out[i] = off;
    const idx = asNumbers(indices);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let k = Math.trunc(idx[o * inner + i]);
        if (k < 0) k += depth;
        if (k >= 0 && k < depth) out[(o * depth + k) * inner + i] = on;
      }
    }
    return [tensorOf(values.type, out, outDims)];
  },
};
