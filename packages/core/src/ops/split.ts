import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { allocData } from '../tensor/dtype.js';
import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

/**
 * Split sizes: the `split` input (opset 13+), the `split` attribute (before 13), or equal parts
 * (`num_outputs` from opset 18, else one per output; the last part may be smaller).
 */
function splitSizes(
  attrs: Attributes,
  splitInput: Tensor | undefined,
  dim: number,
  outputs: number,
): number[] {
  if (splitInput && splitInput.size > 0) return asInts(splitInput);
  if (attrs.has('split')) return [...attrs.ints('split')];
  const parts = attrs.int('num_outputs', outputs);
  const chunk = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

export const Split: OpDef = {
  type: 'Split',
  infer(ctx) {
    const x = ctx.inputs[0];
    const n = ctx.outputCount;
    if (!x?.dims) return Array.from({ length: n }, () => ({ type: x?.type }));
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const d = x.dims[axis];
    const s = ctx.inputs[1];
    let sizes: (number | null)[];
    if (s && !s.value) sizes = new Array(n).fill(null);
    else if (typeof d !== 'number' && !s && !ctx.attrs.has('split')) sizes = new Array(n).fill(null);
    else sizes = splitSizes(ctx.attrs, s?.value, typeof d === 'number' ? d : 0, n);
    return sizes.map((size) => {
      const dims: Dim[] = [...x.dims!];
      dims[axis] = size;
      return { type: x.type, dims };
    });
  },
  run(ctx) {
    const x = input(ctx, 0);
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const sizes = splitSizes(ctx.attrs, ctx.inputs[1], x.dims[axis], ctx.outputCount);
    check(
      sizes.reduce((a, b) => a + b, 0) === x.dims[axis],
      () => `split sizes [${sizes}] do not add up to dimension ${x.dims[axis]}`,
    );
    check(
      sizes.length === ctx.outputCount,
      () => `${sizes.length} split sizes for ${ctx.outputCount} outputs`,
    );
    const outer = shapeSize(x.dims.slice(0, axis));
    const inner = shapeSize(x.dims.slice(axis + 1));
    const src = x.data as Float32Array;
    const rowIn = x.dims[axis] * inner;
    let offset = 0;
    return sizes.map((size) => {
      const dims = [...x.dims];
      dims[axis] = size;
      const out = allocData(x.type, shapeSize(dims)) as Float32Array;
      const row = size * inner;
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < row; j++) out[o * row + j] = src[o * rowIn + offset + j];
      }
      offset += row;
      return new Tensor(x.type, out as never, dims, x.quant);
    });
  },
};
