import { broadcastShapes, sameShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { type BinarySpec, runBinary, signedNumeric } from './support/elementwise.js';
import { sameAsInput } from './support/infer.js';

const SPEC: BinarySpec = {
  type: 'PRelu',
  accepts: signedNumeric,
  number: (x, slope) => (x < 0 ? x * slope : x),
  bigint: (x, slope) => (x < 0n ? x * slope : x),
};

/**
 * x < 0 ? slope * x : x, the slope broadcast to x. Before opset 7 a 1-D slope holds one value per
 * channel (axis 1) rather than per last-axis element.
 */
export const PRelu: OpDef = {
  type: 'PRelu',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    let slope = input(ctx, 1);
    if (ctx.opset < 7 && slope.dims.length === 1 && x.dims.length > 2) {
      slope = slope.reshape([slope.size, ...new Array<number>(x.dims.length - 2).fill(1)]);
    }
    check(
      sameShape(broadcastShapes(x.dims, slope.dims), x.dims),
      () => `slope of shape [${slope.dims}] does not broadcast to X's shape [${x.dims}]`,
    );
    return [runBinary(SPEC, x, slope)];
  },
};
