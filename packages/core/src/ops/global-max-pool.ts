import { input, type OpDef } from './op.js';
import { inferGlobalPool, runGlobalPool } from './support/pool.js';

export const GlobalMaxPool: OpDef = {
  type: 'GlobalMaxPool',
  infer: inferGlobalPool,
  run: (ctx) => [
    runGlobalPool(input(ctx, 0), (v, start, count) => {
      let m = Number.NEGATIVE_INFINITY;
      for (let i = start; i < start + count; i++) m = Math.max(m, v[i]);
      return m;
    }),
  ],
};
