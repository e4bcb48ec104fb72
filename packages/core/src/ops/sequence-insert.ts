import { TensorSequence } from '../tensor/value.js';
import { check, input, type OpDef } from './op.js';
import { sequenceInput, sequenceOfInput, sequencePosition } from './support/control-sequence.js';

/** SequenceInsert: the sequence with `tensor` inserted at `position` (appended when omitted). */
export const SequenceInsert: OpDef = {
  type: 'SequenceInsert',
  infer(ctx) {
    const seq = ctx.inputs[0]?.type;
    const t = ctx.inputs[1]?.type;
    check(!seq || !t || seq === t, () => `cannot insert a tensor of ${t} into a sequence of ${seq}`);
    return sequenceOfInput(ctx, 0);
  },
  run(ctx) {
    const seq = sequenceInput(ctx, 0);
    const t = input(ctx, 1);
    check(
      t.type === seq.elementType,
      () => `cannot insert a tensor of ${t.type} into a sequence of ${seq.elementType}`,
    );
    const at = sequencePosition(ctx.inputs[2], seq.length, seq.length, true);
    return [new TensorSequence(seq.elementType, [...seq.tensors.slice(0, at), t, ...seq.tensors.slice(at)])];
  },
};
