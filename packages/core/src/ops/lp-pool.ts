import type { OpDef } from './op.js';
import { inferPool, runWindowPool } from './support/pool.js';

export const LpPool: OpDef = {
  type: 'LpPool',
  infer: (ctx) => inferPool(ctx),
  run(ctx) {
    const p = ctx.attrs.int('p', 2);
    return [
      runWindowPool(ctx, (v, base, taps) => {
        let s = 0;
        for (const t of taps) s += Math.abs(v[base + t]) ** p;
        return s ** (1 / p);
      }),
    ];
  },
};
