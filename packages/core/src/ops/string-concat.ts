import { broadcastShapes, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { broadcastBinary, inferBroadcast } from './support/elementwise.js';

/** StringConcat: elementwise concatenation of two string tensors, with numpy broadcasting. */
export const StringConcat: OpDef = {
  type: 'StringConcat',
  infer: (ctx) => inferBroadcast(ctx, 'string'),
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    check(
      a.type === 'string' && b.type === 'string',
      () => `inputs must be strings, got ${a.type} and ${b.type}`,
    );
    const dims = broadcastShapes(a.dims, b.dims);
    const out = new Array<string>(shapeSize(dims));
    broadcastBinary(a.data as string[], a.dims, b.data as string[], b.dims, out, dims, (x, y) => x + y);
    return [new Tensor('string', out, dims)];
  },
};
