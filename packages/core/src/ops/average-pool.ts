import type { OpDef } from './op.js';
import { inferPool, runWindowPool } from './support/pool.js';

export const AveragePool: OpDef = {
  type: 'AveragePool',
  infer: (ctx) => inferPool(ctx),
  run(ctx) {
    // count_include_pad counts the padding positions of the window (not the ceil_mode overhang).
    const includePad = ctx.attrs.int('count_include_pad', 0) !== 0;
    return [
      runWindowPool(ctx, (v, base, taps, padded) => {
        let s = 0;
        for (const t of taps) s += v[base + t];
        return s / (includePad ? padded : taps.length);
      }),
    ];
  },
};
