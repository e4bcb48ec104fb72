import { addMatVec, clamp, recurrentOp } from './support/nn-recurrent.js';

/**
 * GRU, gates z, r, h: z = f(Wz.x + Rz.H + Wbz + Rbz), r likewise, candidate
 * n = g(Wh.x + Rh.(r * H) + Rbh + Wbh), or with linear_before_reset g(Wh.x + r * (Rh.H + Rbh) + Wbh);
 * H = (1 - z) * n + z * H. f = Sigmoid, g = Tanh by default.
 */
export const GRU = recurrentOp({
  type: 'GRU',
  gates: 3,
  activations: ['Sigmoid', 'Tanh'],
  cellState: false,
  step(ctx, d) {
    const { hidden, clip, r, rOffset, rb } = d;
    const [f, g] = d.activations;
    const linearBeforeReset = ctx.attrs.int('linear_before_reset', 0) !== 0;
    const hOffset = rOffset + 2 * hidden * hidden;
    /** What Rh multiplies: r * H, or H with linear_before_reset. */
    const rhIn = new Float64Array(hidden);
    /** Rh.rhIn + Rbh. */
    const rh = new Float64Array(hidden);
    return (gates, h) => {
      // z and r: gates [0, 2 * hidden).
      addMatVec(gates, r, rOffset, 2 * hidden, hidden, h);
      for (let j = 0; j < 2 * hidden; j++) gates[j] = f(clamp(gates[j] + rb[j], clip));
      for (let j = 0; j < hidden; j++) {
        rhIn[j] = linearBeforeReset ? h[j] : gates[hidden + j] * h[j];
        rh[j] = rb[2 * hidden + j];
      }
      addMatVec(rh, r, hOffset, hidden, hidden, rhIn);
      for (let j = 0; j < hidden; j++) {
        const n = g(
          clamp(gates[2 * hidden + j] + (linearBeforeReset ? gates[hidden + j] * rh[j] : rh[j]), clip),
        );
        const z = gates[j];
        h[j] = (1 - z) * n + z * h[j];
      }
    };
  },
});
