/**
 * Shared pieces of the sequence operators: reading a sequence input and a position in it.
 */
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { TensorSequence } from '../../tensor/value.js';
import { check, type InferContext, type KernelContext, type ValueMeta } from '../op.js';
import { indexValues } from './tensor-data.js';

/** Input `i`, which must be a sequence. */
export function sequenceInput(ctx: KernelContext, i: number): TensorSequence {
  const v = ctx.values[i];
  check(v, () => `input ${i} is required`);
  check(v instanceof TensorSequence, () => `input ${i} must be a sequence, got ${v}`);
  return v;
}

/**
 * A position in a sequence of `length` tensors (a scalar int32/int64 tensor, `fallback` when
 * omitted; negative counts from the back), resolved into [0, length) or, when `inserting`, [0, length].
 */
export function sequencePosition(
  t: Tensor | undefined,
  length: number,
  fallback: number,
  inserting = false,
): number {
  let p = fallback;
  if (t) {
    const values = indexValues(t, 'position');
    check(values.length === 1, () => `position must be a scalar, got shape ${formatShape(t.dims)}`);
    p = values[0];
  }
  check(inserting || length > 0, 'the sequence is empty');
  const last = inserting ? length : length - 1;
  check(
    p >= -length && p <= last,
    () => `position ${p} is out of range [${-length}, ${last}] for a sequence of ${length} tensors`,
  );
  return p < 0 ? p + length : p;
}

/** Output metadata of an operator whose one output is a sequence of input `i`'s element type. */
export function sequenceOfInput(ctx: InferContext, i: number): ValueMeta[] {
  return [{ kind: 'sequence', type: ctx.inputs[i]?.type }];
}
