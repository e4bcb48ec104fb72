import { optimizerOp } from './support/control-optimizer.js';

/**
 * Adam (ai.onnx.preview.training): inputs R, T, X..., G..., V..., H...; outputs X_new..., V_new...,
 * H_new.... g = norm_coefficient * X + G, V_new = alpha V + (1 - alpha) g,
 * H_new = beta H + (1 - beta) g^2, the rate R bias-corrected by sqrt(1 - beta^T) / (1 - alpha^T)
 * when T > 0, X_new = (1 - norm_coefficient_post) (X - rate V_new / (sqrt(H_new) + epsilon)).
 */
export const Adam = optimizerOp({
  type: 'Adam',
  groups: 4,
  outputGroups: [0, 2, 3],
  step(ctx, r, t) {
    const alpha = ctx.attrs.float('alpha', 0.9);
    const beta = ctx.attrs.float('beta', 0.999);
    const epsilon = ctx.attrs.float('epsilon', 1e-6);
    const norm = ctx.attrs.float('norm_coefficient', 0);
    const post = ctx.attrs.float('norm_coefficient_post', 0);
    const rate = t > 0 ? (r * Math.sqrt(1 - beta ** t)) / (1 - alpha ** t) : r;
    return ([x, g, v, h], [xNew, vNew, hNew]) => {
      for (let i = 0; i < xNew.length; i++) {
        const gi = norm * x[i] + g[i];
        vNew[i] = alpha * v[i] + (1 - alpha) * gi;
        hNew[i] = beta * h[i] + (1 - beta) * gi * gi;
        xNew[i] = (1 - post) * (x[i] - (rate * vNew[i]) / (Math.sqrt(hNew[i]) + epsilon));
      }
    };
  },
});
