import type { Tensor } from '../tensor/tensor.js';
import { TensorSequence } from '../tensor/value.js';
import { check, input, type OpDef } from './op.js';

/** SequenceConstruct: a sequence of the inputs, which must share one element type. */
export const SequenceConstruct: OpDef = {
  type: 'SequenceConstruct',
  infer(ctx) {
    const types = new Set(ctx.inputs.map((m) => m?.type).filter((t) => t !== undefined));
    check(types.size <= 1, () => `inputs differ in type: ${[...types].join(', ')}`);
    return [{ kind: 'sequence', type: [...types][0] }];
  },
  run(ctx) {
    check(ctx.values.length > 0, 'at least one input is required');
    const tensors: Tensor[] = ctx.values.map((_, i) => input(ctx, i));
    for (const t of tensors) {
      check(t.type === tensors[0].type, () => `inputs differ in type: ${tensors[0].type} and ${t.type}`);
    }
    return [new TensorSequence(tensors[0].type, tensors)];
  },
};
