import type { Dim } from '../graph/graph.js';
import { asInts, asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { col2im } from './support/nn-im2col.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';
import { windowGeometry } from './support/window.js';

export const Col2Im: OpDef = {
  type: 'Col2Im',
  infer(ctx) {
    const [x, image, block] = ctx.inputs;
    if (!x?.dims || !image?.value || !block?.value) return [{ type: x?.type }];
    const k = shapeSize(asInts(block.value));
    const c: Dim = typeof x.dims[1] === 'number' ? x.dims[1] / k : null;
    return [{ type: x.type, dims: [x.dims[0], c, ...asInts(image.value)] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const image = asInts(input(ctx, 1));
    const kernel = asInts(input(ctx, 2));
    check(
      isFloat(x.type) && x.dims.length === 3,
      () => `expected a float (N, C*K, L) input, got ${x.type} ${formatShape(x.dims)}`,
    );
    const r = image.length;
    check(kernel.length === r, () => `block_shape has ${kernel.length} dims, image_shape has ${r}`);
    const [n, ck, L] = x.dims;
    const K = shapeSize(kernel);
    check(ck % K === 0, () => `input dimension 1 (${ck}) is not a multiple of the block size ${K}`);
    // The blocks are the window positions of a convolution of the image by the block.
    const window = windowGeometry(ctx.attrs, image, kernel);
    const blocks = window.out;
    check(
      shapeSize(blocks) === L,
      () => `input has ${L} blocks, image_shape and block_shape give ${formatShape(blocks)}`,
    );
    const c = ck / K;
    const S = shapeSize(image);
    const outDims = [n, c, ...image];
    const out = accumulatorFor(x.type, shapeSize(outDims));
    const v = asNumbers(x);
    const g = { ...window, blocks, image };
    for (let b = 0; b < n; b++) col2im(v, b * ck * L, c, g, out, b * c * S);
    return [tensorFromValues(x.type, out, outDims)];
  },
};
