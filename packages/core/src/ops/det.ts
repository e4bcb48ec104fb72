import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Determinant of one n x n matrix at `offset` by LU decomposition with partial pivoting (float64). */
function determinant(v: ArrayLike<number>, offset: number, n: number, a: Float64Array): number {
  for (let i = 0; i < n * n; i++) a[i] = v[offset + i];
  let det = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    const p = a[pivot * n + col];
    if (p === 0) return 0;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k];
        a[col * n + k] = a[pivot * n + k];
        a[pivot * n + k] = t;
      }
      det = -det;
    }
    det *= p;
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / p;
      if (f === 0) continue;
      for (let k = col + 1; k < n; k++) a[r * n + k] -= f * a[col * n + k];
    }
  }
  return det;
}

/** Det: determinants of the square matrices in the last two axes of [*, M, M]. */
export const Det: OpDef = {
  type: 'Det',
  infer(ctx) {
    const x = ctx.inputs[0];
    const dims: Dim[] | undefined = x?.dims?.slice(0, -2);
    return [{ type: x?.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const r = x.dims.length;
    check(
      r >= 2 && x.dims[r - 1] === x.dims[r - 2],
      () => `input must be [*, M, M], got ${formatShape(x.dims)}`,
    );
    const n = x.dims[r - 1];
    const v = asNumbers(x);
    const count = shapeSize(x.dims.slice(0, -2));
    const out = new Float64Array(count);
    const work = new Float64Array(n * n);
    for (let i = 0; i < count; i++) out[i] = determinant(v, i * n * n, n, work);
    return [new Tensor(x.type, encodeNumbers(x.type, out) as never, x.dims.slice(0, -2))];
  },
};
