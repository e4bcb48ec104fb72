import { normalizeAxis } from '../tensor/shape.js';
import { concat } from './concat.js';
import { check, type OpDef } from './op.js';
import { sequenceInput } from './support/control-sequence.js';

/**
 * ConcatFromSequence: the sequence's tensors concatenated along `axis`, or with `new_axis` = 1
 * stacked along a new axis `axis` (which may then be the rank, for a new last axis).
 */
export const ConcatFromSequence: OpDef = {
  type: 'ConcatFromSequence',
  infer: (ctx) => [{ type: ctx.inputs[0]?.type }],
  run(ctx) {
    const seq = sequenceInput(ctx, 0);
    check(seq.length > 0, 'the input sequence is empty');
    const axis = ctx.attrs.int('axis');
    if (ctx.attrs.int('new_axis', 0) === 0) return [concat(seq.tensors, axis)];
    const rank = seq.tensors[0].dims.length;
    const a = normalizeAxis(axis, rank + 1);
    // Stacking = concatenating the tensors with a unit axis inserted at `a`.
    const parts = seq.tensors.map((t) => t.reshape([...t.dims.slice(0, a), 1, ...t.dims.slice(a)]));
    return [concat(parts, a)];
  },
};
