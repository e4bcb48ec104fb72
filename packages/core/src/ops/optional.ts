import { Tensor } from '../tensor/tensor.js';
import { OptionalValue, TensorSequence } from '../tensor/value.js';
import type { Attributes } from './attributes.js';
import { check, type OpDef } from './op.js';

/** The empty optional the `type` attribute describes (required when the input is omitted). */
function emptyOfType(attrs: Attributes): OptionalValue {
  const a = attrs.map.get('type');
  check(a, "an Optional without an input needs the 'type' attribute");
  check(a.type === 'typeProto', () => `attribute 'type' must be a type, got ${a.type}`);
  const t = a.value;
  if (t.nonTensor === 'sequence') return OptionalValue.empty('sequence', t.elementType);
  check(!t.nonTensor, () => `an optional ${t.nonTensor} is not supported, only tensors and sequences`);
  return OptionalValue.empty('tensor', t.type);
}

/** Optional: an optional holding the input (a tensor or a sequence), or an empty one of the `type` attribute. */
export const Optional: OpDef = {
  type: 'Optional',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x) {
      const empty = emptyOfType(ctx.attrs);
      return [{ kind: 'optional', optionalOf: empty.elementKind, type: empty.elementType }];
    }
    check(x.kind !== 'optional', 'the input must be a tensor or a sequence, got an optional');
    return [{ kind: 'optional', optionalOf: x.kind === 'sequence' ? 'sequence' : 'tensor', type: x.type }];
  },
  run(ctx) {
    const x = ctx.values[0];
    if (!x) return [emptyOfType(ctx.attrs)];
    check(
      x instanceof Tensor || x instanceof TensorSequence,
      () => `the input must be a tensor or a sequence, got ${x}`,
    );
    return [OptionalValue.of(x)];
  },
};
