import { Add } from '../add.js';
import type { OpDef } from '../op.js';
import { activationOf, applyActivation } from './activation.js';

/** Add followed by an activation, as the planner's fusion pass writes it (residual + relu, ...). */
export const FusedAdd: OpDef = {
  type: 'FusedAdd',
  domain: 'com.onnxstream',
  infer: (ctx) => Add.infer(ctx),
  async run(ctx) {
    const [y] = await Add.run(ctx);
    return [applyActivation(y as never, activationOf(ctx.attrs))];
  },
};
