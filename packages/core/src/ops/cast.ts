import { castTensor, type EncodeOptions } from '../tensor/convert.js';
import { dataTypeFromOnnx } from '../tensor/dtype.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';

/** Cast/CastLike's `saturate` (float8 overflow, opset 19) and `round_mode` (float8e8m0, opset 25). */
export function castOptions(attrs: Attributes): EncodeOptions {
  const roundMode = attrs.string('round_mode', 'up');
  check(
    roundMode === 'up' || roundMode === 'down' || roundMode === 'nearest',
    () => `round_mode must be 'up', 'down' or 'nearest', got '${roundMode}'`,
  );
  return { saturate: attrs.int('saturate', 1) !== 0, roundMode };
}

/** Converts to the type `to` (an ONNX TensorProto.DataType code); see castTensor for the rules. */
export const Cast: OpDef = {
  type: 'Cast',
  infer: (ctx) => [{ type: dataTypeFromOnnx(ctx.attrs.int('to')), dims: ctx.inputs[0]?.dims }],
  run: (ctx) => [castTensor(input(ctx, 0), dataTypeFromOnnx(ctx.attrs.int('to')), castOptions(ctx.attrs))],
};
