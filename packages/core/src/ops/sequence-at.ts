import { input, type OpDef } from './op.js';
import { sequenceInput, sequencePosition } from './support/control-sequence.js';

/** SequenceAt: the tensor at `position` (negative counts from the back). */
export const SequenceAt: OpDef = {
  type: 'SequenceAt',
  infer: (ctx) => [{ type: ctx.inputs[0]?.type }],
  run(ctx) {
    const seq = sequenceInput(ctx, 0);
    return [seq.tensors[sequencePosition(input(ctx, 1), seq.length, 0)]];
  },
};
