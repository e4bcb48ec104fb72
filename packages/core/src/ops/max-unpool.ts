import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { allocData } from '../tensor/dtype.js';
import { formatShape, sameShape, shapeSize, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

/** The unpooled spatial size: (in - 1) * stride - pads + kernel per axis. */
function unpooledDims(attrs: Attributes, dims: readonly Dim[]): Dim[] {
  const kernel = attrs.ints('kernel_shape');
  const k = kernel.length;
  const strides = attrs.ints('strides', new Array<number>(k).fill(1));
  const pads = attrs.ints('pads', new Array<number>(2 * k).fill(0));
  return dims.map((d, i) => {
    if (i < 2 || typeof d !== 'number') return d;
    const a = i - 2;
    return (d - 1) * strides[a] - (pads[a] + pads[a + k]) + kernel[a];
  });
}

/**
 * MaxUnpool: scatters X into zeros at the flat positions `I` (as MaxPool's indices output gives
 * them, over the unpooled shape); with `output_shape`, that result sits at the origin of a larger
 * zero tensor.
 */
export const MaxUnpool: OpDef = {
  type: 'MaxUnpool',
  infer(ctx) {
    const x = ctx.inputs[0];
    const shape = ctx.inputs[2];
    if (shape?.value) return [{ type: x?.type, dims: asInts(shape.value) }];
    if (shape) return [{ type: x?.type }];
    return [{ type: x?.type, dims: x?.dims && unpooledDims(ctx.attrs, x.dims) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const indices = input(ctx, 1);
    check(
      sameShape(indices.dims, x.dims),
      () => `indices shape ${formatShape(indices.dims)} differs from X shape ${formatShape(x.dims)}`,
    );
    check(
      x.dims.length === ctx.attrs.ints('kernel_shape').length + 2,
      () => `X rank ${x.dims.length} does not fit kernel_shape`,
    );
    const inferred = unpooledDims(ctx.attrs, x.dims) as number[];
    const shapeInput = ctx.inputs[2];
    const outDims = shapeInput ? asInts(shapeInput) : inferred;
    check(
      outDims.length === inferred.length && outDims.every((d, i) => d >= inferred[i]),
      () =>
        `output_shape ${formatShape(outDims)} is smaller than the unpooled shape ${formatShape(inferred)}`,
    );
    const total = shapeSize(inferred);
    const idx = asInts(indices);
    const src = x.data as Float32Array;
    const out = allocData(x.type, shapeSize(outDims)) as Float32Array;
    // Flat positions count in the unpooled shape; map them into the (possibly larger) output.
    const inStrides = stridesOf(inferred);
    const outStrides = stridesOf(outDims);
    for (let i = 0; i < idx.length; i++) {
      const p = idx[i];
      check(p >= 0 && p < total, () => `index ${p} is outside the unpooled tensor of ${total} elements`);
      let rest = p;
      let o = 0;
      for (let a = 0; a < inferred.length; a++) {
        const q = Math.floor(rest / inStrides[a]);
        rest -= q * inStrides[a];
        o += q * outStrides[a];
      }
      out[o] = src[i];
    }
    return [new Tensor(x.type, out as never, outDims)];
  },
};
