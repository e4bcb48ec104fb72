import { check, type OpDef } from './op.js';
import { blockSize, imageInput, inferBlocks, permuteBlocks } from './support/tensor-blocks.js';

/** SpaceToDepth: moves blocksize x blocksize spatial blocks into channels (the inverse of DepthToSpace DCR). */
export const SpaceToDepth: OpDef = {
  type: 'SpaceToDepth',
  infer: (ctx) =>
    inferBlocks(
      ctx,
      (c, b) => c * b * b,
      (d, b) => Math.floor(d / b),
    ),
  run(ctx) {
    const x = imageInput(ctx);
    const b = blockSize(ctx.attrs);
    const [n, c, h, w] = x.dims;
    check(h % b === 0 && w % b === 0, () => `height ${h} and width ${w} must be divisible by blocksize ${b}`);
    const [hh, ww] = [h / b, w / b];
    return [permuteBlocks(x, [n, c, hh, b, ww, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, hh, ww])];
  },
};
