import { isFloat } from '../tensor/dtype.js';
import { check, input, type OpDef } from './op.js';
import { type BinarySpec, inferBroadcast, runBinary } from './support/elementwise.js';

/** fmod=1: C's fmod, the sign of the dividend (JavaScript's %). */
const FMOD: BinarySpec = {
  type: 'Mod',
  number: (a, b) => a % b,
  bigint: (a, b) => (b === 0n ? 0n : a % b),
};

/** fmod=0 (integers only): Python's %, the sign of the divisor. x mod 0 gives 0. */
const FLOOR_MOD: BinarySpec = {
  type: 'Mod',
  number: (a, b) => {
    if (b === 0) return 0;
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  bigint: (a, b) => {
    if (b === 0n) return 0n;
    const r = a % b;
    return r !== 0n && r < 0n !== b < 0n ? r + b : r;
  },
};

export const Mod: OpDef = {
  type: 'Mod',
  infer: (ctx) => inferBroadcast(ctx),
  run(ctx) {
    const a = input(ctx, 0);
    const fmod = ctx.attrs.int('fmod', 0) !== 0;
    check(fmod || !isFloat(a.type), () => `Mod of ${a.type} inputs needs fmod=1`);
    return [runBinary(fmod ? FMOD : FLOOR_MOD, a, input(ctx, 1))];
  },
};
