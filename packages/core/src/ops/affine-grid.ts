import type { Dim } from '../graph/graph.js';
import { asInts, asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Normalised coordinate of pixel i of a dimension of `size` pixels, in [-1, 1]. */
function baseCoord(i: number, size: number, align: boolean): number {
  if (align) return size > 1 ? -1 + (2 * i) / (size - 1) : -1;
  return (2 * i + 1) / size - 1;
}

/**
 * AffineGrid: the sampling grid [N, (D,) H, W, k] of affine matrices theta [N, k, k+1] over the
 * normalised output coordinates of size [N, C, (D,) H, W] (k = 2 or 3), for GridSample.
 */
export const AffineGrid: OpDef = {
  type: 'AffineGrid',
  infer(ctx) {
    const theta = ctx.inputs[0];
    const size = ctx.inputs[1]?.value;
    if (!size) {
      const n = ctx.inputs[1]?.dims?.[0];
      return [{ type: theta?.type, dims: typeof n === 'number' ? new Array<Dim>(n).fill(null) : undefined }];
    }
    const s = asInts(size);
    return [{ type: theta?.type, dims: [s[0], ...s.slice(2), s.length - 2] }];
  },
  run(ctx) {
    const theta = input(ctx, 0);
    const size = asInts(input(ctx, 1));
    check(isFloat(theta.type), () => `type ${theta.type} is not supported`);
    const k = size.length - 2;
    check(k === 2 || k === 3, () => `size must have 4 or 5 elements, has ${size.length}`);
    const n = size[0];
    check(
      theta.dims.length === 3 && theta.dims[0] === n && theta.dims[1] === k && theta.dims[2] === k + 1,
      () => `theta must be [${n}, ${k}, ${k + 1}], got ${formatShape(theta.dims)}`,
    );
    const align = ctx.attrs.int('align_corners', 0) !== 0;
    const spatial = size.slice(2);
    const points = shapeSize(spatial);
    const t = asNumbers(theta);
    // Homogeneous base coordinates per point, x (last axis) first.
    const base = new Float64Array(points * (k + 1));
    for (let p = 0; p < points; p++) {
      let rest = p;
      for (let dim = k - 1; dim >= 0; dim--) {
        const i = rest % spatial[dim];
        rest = Math.floor(rest / spatial[dim]);
        base[p * (k + 1) + (k - 1 - dim)] = baseCoord(i, spatial[dim], align);
      }
      base[p * (k + 1) + k] = 1;
    }
    const out = new Float64Array(n * points * k);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < points; p++) {
        for (let r = 0; r < k; r++) {
          let sum = 0;
          for (let j = 0; j <= k; j++) sum += t[(b * k + r) * (k + 1) + j] * base[p * (k + 1) + j];
          out[(b * points + p) * k + r] = sum;
        }
      }
    }
    return [new Tensor(theta.type, encodeNumbers(theta.type, out) as never, [n, ...spatial, k])];
  },
};
