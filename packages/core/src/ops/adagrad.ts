import { optimizerOp } from './support/control-optimizer.js';

/**
 * Adagrad (ai.onnx.preview.training): inputs R, T, X..., G..., H...; outputs X_new..., H_new....
 * g = norm_coefficient * X + G, H_new = H + g^2,
 * X_new = X - R / (1 + T * decay_factor) * g / (sqrt(H_new) + epsilon).
 */
export const Adagrad = optimizerOp({
  type: 'Adagrad',
  groups: 3,
  outputGroups: [0, 2],
  step(ctx, r, t) {
    const decay = ctx.attrs.float('decay_factor', 0);
    const epsilon = ctx.attrs.float('epsilon', 1e-6);
    const norm = ctx.attrs.float('norm_coefficient', 0);
    const rate = r / (1 + t * decay);
    return ([x, g, h], [xNew, hNew]) => {
      for (let i = 0; i < xNew.length; i++) {
        const gi = norm * x[i] + g[i];
        hNew[i] = h[i] + gi * gi;
        xNew[i] = x[i] - (rate * gi) / (Math.sqrt(hNew[i]) + epsilon);
      }
    };
  },
});
