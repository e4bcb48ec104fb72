import { check, input, type OpDef } from './op.js';
import { blockSize, inferBlocks, permuteBlocks } from './support/tensor-blocks.js';

/** SpaceToDepth: moves blocksize x blocksize spatial blocks into channels (the inverse of DepthToSpace DCR). */
export const SpaceToDepth: OpDef = {
  type: 'SpaceToDepth',
  infer(ctx) {
    const b = blockSize(ctx.attrs.int('blocksize'));
    return inferBlocks(
      ctx,
      (c) => c * b * b,
      (d) => Math.floor(d / b),
    );
  },
  run(ctx) {
    const x = input(ctx, 0);
    const b = blockSize(ctx.attrs.int('blocksize'));
    check(x.dims.length === 4, () => `input must be 4-D, has rank ${x.dims.length}`);
    const [n, c, h, w] = x.dims;
    check(h % b === 0 && w % b === 0, () => `height ${h} and width ${w} must be divisible by blocksize ${b}`);
    const [hh, ww] = [h / b, w / b];
    return [permuteBlocks(x, [n, c, hh, b, ww, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, hh, ww])];
  },
};
