import { TensorSequence } from '../tensor/value.js';
import type { OpDef } from './op.js';
import { sequenceInput, sequenceOfInput, sequencePosition } from './support/control-sequence.js';

/** SequenceErase: the sequence without the tensor at `position` (the last one when omitted). */
export const SequenceErase: OpDef = {
  type: 'SequenceErase',
  infer: (ctx) => sequenceOfInput(ctx, 0),
  run(ctx) {
    const seq = sequenceInput(ctx, 0);
    const at = sequencePosition(ctx.inputs[1], seq.length, -1);
    return [
      new TensorSequence(
        seq.elementType,
        seq.tensors.filter((_, i) => i !== at),
      ),
    ];
  },
};
