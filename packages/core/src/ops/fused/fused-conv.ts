import { Conv } from '../conv.js';
import type { OpDef } from '../op.js';
import { activationOf, applyActivation } from './activation.js';

/**
 * Conv followed by an activation (relu, sigmoid, or silu = x * sigmoid(x)), as the planner's fusion
 * pass writes it: one operator, one output tensor. Attributes: Conv's plus `activation`.
 */
export const FusedConv: OpDef = {
  type: 'FusedConv',
  domain: 'com.onnxstream',
  infer: (ctx) => Conv.infer(ctx),
  async run(ctx) {
    const [y] = await Conv.run(ctx);
    return [applyActivation(y as never, activationOf(ctx.attrs))];
  },
};
