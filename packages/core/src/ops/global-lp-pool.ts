import { input, type OpDef } from './op.js';
import { inferGlobalPool, runGlobalPool } from './support/pool.js';

export const GlobalLpPool: OpDef = {
  type: 'GlobalLpPool',
  infer: inferGlobalPool,
  run(ctx) {
    const p = ctx.attrs.int('p', 2);
    return [
      runGlobalPool(input(ctx, 0), (v, start, count) => {
        let s = 0;
        for (let i = start; i < start + count; i++) s += Math.abs(v[i]) ** p;
        return s ** (1 / p);
      }),
    ];
  },
};
