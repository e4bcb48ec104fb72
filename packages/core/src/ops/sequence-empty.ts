import { dataTypeFromOnnx } from '../tensor/dtype.js';
import { TensorSequence } from '../tensor/value.js';
import type { OpDef } from './op.js';

/** ONNX TensorProto.FLOAT: SequenceEmpty's default element type. */
const FLOAT = 1;

/** SequenceEmpty: an empty sequence of `dtype` tensors (float by default). */
export const SequenceEmpty: OpDef = {
  type: 'SequenceEmpty',
  infer: (ctx) => [{ kind: 'sequence', type: dataTypeFromOnnx(ctx.attrs.int('dtype', FLOAT)) }],
  run: (ctx) => [new TensorSequence(dataTypeFromOnnx(ctx.attrs.int('dtype', FLOAT)))],
};
