import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, type OpDef } from './op.js';
import { int64Tensor } from './support/tensor-data.js';

/** The tensor a Constant node holds: `value` or one of the typed `value_*` attributes (opset 12+). */
function constantValue(attrs: Attributes): Tensor {
  const names = attrs.names().filter((n) => n === 'value' || n === 'sparse_value' || n.startsWith('value_'));
  check(
    names.length === 1,
    () => `exactly one value attribute is required, got ${names.length ? names.join(', ') : 'none'}`,
  );
  const name = names[0];
  switch (name) {
    case 'value':
      return attrs.tensor('value')!;
    case 'value_float':
      return new Tensor('float32', [attrs.float(name)], []);
    case 'value_floats': {
      const v = attrs.floats(name);
      return new Tensor('float32', [...v], [v.length]);
    }
    case 'value_int':
      return int64Tensor([attrs.int(name)], []);
    case 'value_ints':
      return int64Tensor(attrs.ints(name));
    case 'value_string':
      return new Tensor('string', [attrs.string(name)], []);
    case 'value_strings': {
      const v = attrs.strings(name);
      return new Tensor('string', [...v], [v.length]);
    }
    default:
      throw new Error(`attribute '${name}' is not supported (sparse tensors are not implemented)`);
  }
}

export const Constant: OpDef = {
  type: 'Constant',
  infer(ctx) {
    const value = constantValue(ctx.attrs);
    return [{ type: value.type, dims: value.dims, value }];
  },
  run: (ctx) => [constantValue(ctx.attrs)],
};
