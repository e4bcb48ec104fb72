import { check } from './op.js';
import { optimizerOp } from './support/control-optimizer.js';

/**
 * Momentum (ai.onnx.preview.training): inputs R, T, X..., G..., V...; outputs X_new..., V_new....
 * g = norm_coefficient * X + G, V_new = alpha V + beta' g (beta' = 1 on the first update, T = 0),
 * X_new = X - R V_new ("standard") or X - R (g + alpha V_new) ("nesterov").
 */
export const Momentum = optimizerOp({
  type: 'Momentum',
  groups: 3,
  outputGroups: [0, 2],
  step(ctx, r, t) {
    const alpha = ctx.attrs.float('alpha');
    // beta is required; the first update (T = 0) takes the whole gradient instead.
    const beta = ctx.attrs.float('beta');
    const gradientScale = t > 0 ? beta : 1;
    const norm = ctx.attrs.float('norm_coefficient');
    const mode = ctx.attrs.string('mode');
    check(
      mode === 'standard' || mode === 'nesterov',
      () => `mode must be standard or nesterov, got '${mode}'`,
    );
    const nesterov = mode === 'nesterov';
    return ([x, g, v], [xNew, vNew]) => {
      for (let i = 0; i < xNew.length; i++) {
        const gi = norm * x[i] + g[i];
        vNew[i] = alpha * v[i] + gradientScale * gi;
        xNew[i] = x[i] - r * (nesterov ? gi + alpha * vNew[i] : vNew[i]);
      }
    };
  },
});
