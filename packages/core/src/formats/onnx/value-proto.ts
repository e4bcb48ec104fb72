/**
 * ONNX SequenceProto and OptionalProto bytes (conformance test vectors of sequence and optional
 * values) -> TensorSequence and OptionalValue. An empty sequence or optional does not say the type
 * of its tensors: the declared type of the value (the graph's ValueInfo) supplies it.
 */
import type { ValueType } from '../../graph/graph.js';
import type { DataType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OptionalValue, TensorSequence, type Value } from '../../tensor/value.js';
import {
  decodeMessage,
  type OptionalObject,
  OptionalProto,
  type SequenceObject,
  SequenceProto,
} from './schema.js';
import { decodeTensorProtoBytes, tensorFromProto } from './tensor-proto.js';

/** SequenceProto/OptionalProto `elem_type` values (onnx-data.proto DataType). */
const ELEM_TENSOR = 1;
const ELEM_SEQUENCE = 3;
const ELEM_NAMES = ['undefined', 'tensor', 'sparse tensor', 'sequence', 'map', 'optional'];

/** Decodes a serialized value of the declared type: a TensorProto, SequenceProto or OptionalProto. */
export function decodeValueProtoBytes(bytes: Uint8Array, declared: ValueType | undefined): Value {
  switch (declared?.nonTensor) {
    case 'sequence':
      return decodeSequenceProtoBytes(bytes, declared);
    case 'optional':
      return decodeOptionalProtoBytes(bytes, declared);
    case 'map':
      throw new Error('map values are not supported');
    default:
      return decodeTensorProtoBytes(bytes);
  }
}

/** Decodes serialized SequenceProto bytes (a sequence of tensors). */
export function decodeSequenceProtoBytes(bytes: Uint8Array, declared?: ValueType): TensorSequence {
  return sequenceFromProto(decodeMessage<SequenceObject>(SequenceProto, bytes), declared?.elementType);
}

/** Decodes serialized OptionalProto bytes (an optional tensor or sequence of tensors). */
export function decodeOptionalProtoBytes(bytes: Uint8Array, declared?: ValueType): OptionalValue {
  const p = decodeMessage<OptionalObject>(OptionalProto, bytes);
  const elementType = declared?.elementType;
  if (p.tensor_value) return OptionalValue.of(tensorFromProto(p.tensor_value));
  if (p.sequence_value) return OptionalValue.of(sequenceFromProto(p.sequence_value, elementType));
  const code = p.elem_type ?? 0;
  if (code !== 0 && code !== ELEM_TENSOR && code !== ELEM_SEQUENCE) throw unsupported('optional', code);
  // An empty optional names its element kind in elem_type, or else in the declared type.
  const kind = code === ELEM_SEQUENCE ? 'sequence' : code === ELEM_TENSOR ? 'tensor' : declared?.optionalOf;
  return OptionalValue.empty(kind ?? 'tensor', elementType);
}

function sequenceFromProto(p: SequenceObject, declaredType: DataType | undefined): TensorSequence {
  const code = p.elem_type ?? ELEM_TENSOR;
  if (code !== ELEM_TENSOR && code !== 0) throw unsupported('sequence', code);
  const tensors: Tensor[] = (p.tensor_values ?? []).map(tensorFromProto);
  const type = tensors[0]?.type ?? declaredType;
  if (!type) throw new Error('an empty sequence needs a declared element type');
  return new TensorSequence(type, tensors);
}

function unsupported(what: string, code: number): Error {
  return new Error(`${what} of ${ELEM_NAMES[code] ?? `element type ${code}`} values are not supported`);
}
