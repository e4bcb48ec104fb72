import { type DataType, DTYPES } from '../tensor/dtype.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { type BinarySpec, inferBroadcast, runBinary } from './support/elementwise.js';

const unsignedOnly = (t: DataType): boolean => DTYPES[t].kind === 'uint';

// Stores into the type's array drop the bits shifted past its width.
const LEFT: BinarySpec = {
  type: 'BitShift',
  accepts: unsignedOnly,
  number: (x, y) => (y >= 32 ? 0 : x << y),
  bigint: (x, y) => (y >= 64n ? 0n : x << y),
};

const RIGHT: BinarySpec = {
  type: 'BitShift',
  accepts: unsignedOnly,
  number: (x, y) => (y >= 32 ? 0 : x >>> y),
  bigint: (x, y) => (y >= 64n ? 0n : x >> y),
};

function spec(attrs: Attributes): BinarySpec {
  const direction = attrs.string('direction');
  check(
    direction === 'LEFT' || direction === 'RIGHT',
    () => `direction must be LEFT or RIGHT, got '${direction}'`,
  );
  return direction === 'LEFT' ? LEFT : RIGHT;
}

/** x << y or x >> y on unsigned integers; shifting by the type's width or more gives 0. */
export const BitShift: OpDef = {
  type: 'BitShift',
  infer(ctx) {
    spec(ctx.attrs);
    return inferBroadcast(ctx);
  },
  run: (ctx) => [runBinary(spec(ctx.attrs), input(ctx, 0), input(ctx, 1))],
};
