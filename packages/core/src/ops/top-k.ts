import { asInts } from '../tensor/convert.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { allocElements, compareScalars, elementsOf, scalarsOf, tensorOf } from './support/tensor-data.js';

/** k: input 1 from opset 10, the `k` attribute before (honoured at any opset when there is no input). */
function topK(attrs: Attributes, kInput: Tensor | undefined): number {
  if (kInput) {
    const v = asInts(kInput);
    check(v.length === 1, () => `K must have one element, has ${v.length}`);
    return v[0];
  }
  return attrs.int('k');
}

/**
 * TopK along `axis`: the k largest (or smallest) values and their indices, best first; equal values
 * keep the lower index first.
 */
export const TopK: OpDef = {
  type: 'TopK',
  infer(ctx) {
    const x = ctx.inputs[0];
    const kMeta = ctx.inputs[1];
    if (!x?.dims) return [{ type: x?.type }, { type: 'int64' }];
    const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.dims.length);
    const known = !kMeta || kMeta.value;
    const dims = [...x.dims];
    dims[axis] = known ? topK(ctx.attrs, kMeta?.value) : null;
    return [
      { type: x.type, dims },
      { type: 'int64', dims },
    ];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.dims.length);
    const k = topK(ctx.attrs, ctx.inputs[1]);
    const n = x.dims[axis];
    check(k >= 0 && k <= n, () => `k = ${k} is out of range for an axis of ${n}`);
    const largest = ctx.attrs.int('largest', 1) === 1;
    const outer = shapeSize(x.dims.slice(0, axis));
    const inner = shapeSize(x.dims.slice(axis + 1));
    const outDims = [...x.dims];
    outDims[axis] = k;
    const v = scalarsOf(x);
    const src = elementsOf(x);
    const values = allocElements(x.type, outer * k * inner);
    const indices = new BigInt64Array(outer * k * inner);
    const order = new Array<number>(n);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        for (let j = 0; j < n; j++) order[j] = j;
        // Always sorted (also valid for sorted=0); Array.prototype.sort is stable, so ties keep index order.
        order.sort((a, b) => {
          const c = compareScalars(v[base + a * inner], v[base + b * inner]);
          return largest ? -c : c;
        });
        for (let j = 0; j < k; j++) {
          const dst = (o * k + j) * inner + i;
          values[dst] = src[base + order[j] * inner];
          indices[dst] = BigInt(order[j]);
        }
      }
    }
    return [tensorOf(x.type, values, outDims, x.quant), new Tensor('int64', indices, outDims)];
  },
};
