import { asNumbers } from '../tensor/convert.js';
import { allocData, type DataType, isBig, isFloat, type TensorData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

type Key = number | string;

/** The mapping of one node: keys in order, the values (and default) as elements of the output type. */
interface Mapping {
  readonly keys: readonly Key[];
  readonly type: DataType;
  readonly values: TensorData;
  readonly fallback: unknown;
}

/** Keys of a tensor attribute as map keys (int64 as numbers, as the input's elements are read). */
function tensorKeys(t: Tensor): Key[] {
  return t.type === 'string' ? [...(t.data as string[])] : Array.from(asNumbers(t));
}

/**
 * Opset 2+: keys_* and values_* attributes (int64s, strings, floats, or tensors from opset 4); the
 * default matches the values' kind (-1, "_Unused", -0.0, or default_tensor).
 */
function mapping(attrs: Attributes): Mapping {
  let keys: Key[];
  if (attrs.has('keys_tensor')) keys = tensorKeys(attrs.tensor('keys_tensor')!);
  else if (attrs.has('keys_strings')) keys = [...attrs.strings('keys_strings')];
  else if (attrs.has('keys_int64s')) keys = [...attrs.ints('keys_int64s')];
  else keys = [...attrs.floats('keys_floats')];
  const tensor = attrs.tensor('values_tensor');
  if (tensor) {
    const fallback = attrs.tensor('default_tensor');
    const def = fallback ? fallback.data[0] : defaultFor(tensor.type);
    return { keys, type: tensor.type, values: tensor.data, fallback: def };
  }
  if (attrs.has('values_strings')) {
    return {
      keys,
      type: 'string',
      values: [...attrs.strings('values_strings')],
      fallback: attrs.string('default_string', '_Unused'),
    };
  }
  if (attrs.has('values_int64s')) {
    const values = BigInt64Array.from(attrs.ints('values_int64s'), BigInt);
    return { keys, type: 'int64', values, fallback: BigInt(attrs.int('default_int64', -1)) };
  }
  return {
    keys,
    type: 'float32',
    values: Float32Array.from(attrs.floats('values_floats')),
    fallback: attrs.float('default_float', -0),
  };
}

/** The spec's default for values_tensor without default_tensor. */
function defaultFor(type: DataType): unknown {
  if (type === 'string') return '_Unused';
  if (isFloat(type)) return -0;
  return isBig(type) ? -1n : -1;
}

/** Opset 1: classes_strings maps strings to their index (int64) or indices to strings. */
function classMapping(attrs: Attributes, inputType: DataType): Mapping {
  const classes = attrs.strings('classes_strings');
  if (inputType === 'string') {
    const values = BigInt64Array.from(classes, (_, i) => BigInt(i));
    return { keys: [...classes], type: 'int64', values, fallback: BigInt(attrs.int('default_int64', -1)) };
  }
  return {
    keys: classes.map((_, i) => i),
    type: 'string',
    values: [...classes],
    fallback: attrs.string('default_string', '_Unused'),
  };
}

/** ai.onnx.ml LabelEncoder: maps each element through a key -> value table, else to the default. */
export const LabelEncoder: OpDef = {
  type: 'LabelEncoder',
  domain: 'ai.onnx.ml',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (ctx.opset < 2) return [{ type: x?.type === 'string' ? 'int64' : 'string', dims: x?.dims }];
    const a = ctx.attrs;
    const tensor = a.tensor('values_tensor');
    const type: DataType = tensor
      ? tensor.type
      : a.has('values_strings')
        ? 'string'
        : a.has('values_int64s')
          ? 'int64'
          : 'float32';
    return [{ type, dims: x?.dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const m = ctx.opset < 2 ? classMapping(ctx.attrs, x.type) : mapping(ctx.attrs);
    check(m.keys.length === m.values.length, () => `${m.keys.length} keys but ${m.values.length} values`);
    const index = new Map(m.keys.map((k, i) => [k, i]));
    const elements: ArrayLike<Key> = x.type === 'string' ? (x.data as string[]) : asNumbers(x);
    const values = m.values as unknown[];
    const out = allocData(m.type, x.size) as unknown[];
    for (let i = 0; i < x.size; i++) {
      const at = index.get(elements[i]);
      out[i] = at === undefined ? m.fallback : values[at];
    }
    return [new Tensor(m.type, out as never, x.dims)];
  },
};
