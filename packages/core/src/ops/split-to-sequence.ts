import { asInts, scalarOf } from '../tensor/convert.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { TensorSequence } from '../tensor/value.js';
import { check, input, type OpDef } from './op.js';
import { sequenceOfInput } from './support/control-sequence.js';
import { takeAlong } from './support/control-slices.js';
import { takeSlices, tensorOf } from './support/tensor-data.js';

/** Part lengths along the split axis: chunks of a scalar `split` (the last may be shorter), or the listed lengths. */
function partLengths(split: Tensor, dim: number): number[] {
  if (split.dims.length === 0) {
    const chunk = scalarOf(split, 'split');
    check(chunk > 0, () => `split must be positive, got ${chunk}`);
    return Array.from({ length: Math.ceil(dim / chunk) }, (_, i) => Math.min(chunk, dim - i * chunk));
  }
  check(split.dims.length === 1, () => `split must be a scalar or 1-D, got rank ${split.dims.length}`);
  const lengths = asInts(split);
  check(
    lengths.every((n) => n >= 0),
    () => `split lengths must not be negative, got [${lengths}]`,
  );
  const sum = lengths.reduce((a, b) => a + b, 0);
  check(sum === dim, () => `split lengths [${lengths}] add up to ${sum}, the axis has ${dim}`);
  return lengths;
}

/**
 * SplitToSequence: the input split along `axis` into a sequence. Without `split`, into parts of
 * length 1, whose split axis `keepdims` = 0 removes; `keepdims` is ignored when `split` is given.
 */
export const SplitToSequence: OpDef = {
  type: 'SplitToSequence',
  infer: (ctx) => sequenceOfInput(ctx, 0),
  run(ctx) {
    const x = input(ctx, 0);
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const dim = x.dims[axis];
    const split = ctx.inputs[1];
    if (!split) {
      const keep = ctx.attrs.int('keepdims', 1) !== 0;
      const parts = Array.from({ length: dim }, (_, i) => {
        const part = takeAlong(x, axis, i);
        return keep ? part.reshape(x.dims.map((d, k) => (k === axis ? 1 : d))) : part;
      });
      return [new TensorSequence(x.type, parts)];
    }
    let start = 0;
    const parts = partLengths(split, dim).map((n) => {
      const rows = Array.from({ length: n }, (_, i) => start + i);
      start += n;
      const dims = x.dims.map((d, k) => (k === axis ? n : d));
      return tensorOf(x.type, takeSlices(x, axis, rows), dims);
    });
    return [new TensorSequence(x.type, parts)];
  },
};
