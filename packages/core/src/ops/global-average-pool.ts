import { input, type OpDef } from './op.js';
import { inferGlobalPool, runGlobalPool } from './support/pool.js';

export const GlobalAveragePool: OpDef = {
  type: 'GlobalAveragePool',
  infer: inferGlobalPool,
  run: (ctx) => [
    runGlobalPool(input(ctx, 0), (v, start, count) => {
      let s = 0;
      for (let i = start; i < start + count; i++) s += v[i];
      return s / count;
    }),
  ],
};
