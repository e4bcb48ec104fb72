import { Tensor } from '../tensor/tensor.js';
import type { OpDef } from './op.js';
import { sequenceInput } from './support/control-sequence.js';

/** SequenceLength: the number of tensors in the sequence, as an int64 scalar. */
export const SequenceLength: OpDef = {
  type: 'SequenceLength',
  infer: () => [{ type: 'int64', dims: [] }],
  run: (ctx) => [new Tensor('int64', BigInt64Array.of(BigInt(sequenceInput(ctx, 0).length)), [])],
};
