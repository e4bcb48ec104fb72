import { Tensor } from '../tensor/tensor.js';
import { OptionalValue } from '../tensor/value.js';
import type { OpDef } from './op.js';

/**
 * OptionalHasElement: a bool scalar, false for an empty optional or an omitted input, true for an
 * optional with a value and (opset 18) for a tensor or sequence given directly.
 */
export const OptionalHasElement: OpDef = {
  type: 'OptionalHasElement',
  infer: () => [{ type: 'bool', dims: [] }],
  run(ctx) {
    const v = ctx.values[0];
    const has = v instanceof OptionalValue ? v.hasElement : v !== undefined;
    return [new Tensor('bool', Uint8Array.of(has ? 1 : 0), [])];
  },
};
