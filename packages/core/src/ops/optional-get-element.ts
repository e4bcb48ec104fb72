import { OptionalValue } from '../tensor/value.js';
import { check, type OpDef } from './op.js';

/**
 * OptionalGetElement: the tensor or sequence an optional holds (an error when it is empty); from
 * opset 18 a tensor or sequence given directly passes through.
 */
export const OptionalGetElement: OpDef = {
  type: 'OptionalGetElement',
  infer(ctx) {
    const m = ctx.inputs[0];
    if (m?.kind !== 'optional') return [{ kind: m?.kind, type: m?.type, dims: m?.dims, value: m?.value }];
    return [
      m.optionalOf === 'sequence' ? { kind: 'sequence', type: m.type } : { type: m.type, dims: m.dims },
    ];
  },
  run(ctx) {
    const v = ctx.values[0];
    check(v, 'input 0 is required');
    if (!(v instanceof OptionalValue)) return [v];
    check(v.value, 'the optional input is empty');
    return [v.value];
  },
};
