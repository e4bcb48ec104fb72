import { check, type OpDef } from './op.js';
import { blockSize, imageInput, inferBlocks, permuteBlocks } from './support/tensor-blocks.js';

/** DepthToSpace: mode DCR (depth-column-row, default) or CRD (column-row-depth). */
export const DepthToSpace: OpDef = {
  type: 'DepthToSpace',
  infer: (ctx) =>
    inferBlocks(
      ctx,
      (c, b) => Math.floor(c / (b * b)),
      (d, b) => d * b,
    ),
  run(ctx) {
    const x = imageInput(ctx);
    const b = blockSize(ctx.attrs);
    const [n, c, h, w] = x.dims;
    check(c % (b * b) === 0, () => `channels ${c} are not divisible by blocksize² ${b * b}`);
    const cc = c / (b * b);
    const mode = ctx.attrs.string('mode', 'DCR');
    check(mode === 'DCR' || mode === 'CRD', () => `unknown mode '${mode}'`);
    const outDims = [n, cc, h * b, w * b];
    return [
      mode === 'DCR'
        ? permuteBlocks(x, [n, b, b, cc, h, w], [0, 3, 4, 1, 5, 2], outDims)
        : permuteBlocks(x, [n, cc, b, b, h, w], [0, 1, 4, 2, 5, 3], outDims),
    ];
  },
};
