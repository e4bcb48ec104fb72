/**
 * ONNX TensorProto <-> Tensor, for tensors whose data sits inline in the message (constants,
 * attribute tensors, test vectors). Weights with raw_data in big files go through the model reader,
 * which records offsets instead.
 */
import { allocData, type DataType, DTYPES, dataTypeFromOnnx, onnxCode } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { rawBytesOf, tensorFromRaw, unpackSubByte } from '../raw.js';
import { decodeMessage, TensorProto, type TensorProtoObject } from './schema.js';

const utf8 = new TextDecoder();

/** Decodes serialized TensorProto bytes (e.g. a conformance `input_0.pb`). */
export function decodeTensorProtoBytes(bytes: Uint8Array): Tensor {
  return tensorFromProto(decodeMessage<TensorProtoObject>(TensorProto, bytes));
}

/** Builds a Tensor from a decoded TensorProto whose data is inline (raw_data or typed fields). */
export function tensorFromProto(p: TensorProtoObject): Tensor {
  const type = dataTypeFromOnnx(p.data_type ?? 0);
  const dims = (p.dims ?? []).map(Number);
  const count = shapeSize(dims);
  if (p.data_location === 1 || (p.external_data && p.external_data.length > 0)) {
    throw new Error(`tensor '${p.name ?? ''}' has external data; it must be read through the model's files`);
  }
  if (type === 'string') {
    const s = (p.string_data ?? []).map((b) => utf8.decode(b));
    return new Tensor('string', s, dims);
  }
  if (p.raw_data && p.raw_data.byteLength > 0) return tensorFromRaw(type, dims, p.raw_data);
  const data = allocData(type, count);
  const traits = DTYPES[type];
  let src: ArrayLike<number> | readonly (string | number)[] | undefined;
  switch (type) {
    case 'float32':
      src = p.float_data;
      break;
    case 'float64':
      src = p.double_data;
      break;
    case 'int64':
      src = p.int64_data;
      break;
    case 'uint64':
    case 'uint32':
      src = p.uint64_data;
      break;
    default:
      // int32_data carries every type of 32 bits or less, including float16/bfloat16 bit patterns
      // and packed 4/2-bit pairs.
      src = p.int32_data;
  }
  const values = src ?? [];
  const need = traits.bits < 8 ? Math.ceil((count * traits.bits) / 8) : count;
  if (values.length < need) {
    throw new Error(`tensor '${p.name ?? ''}' has ${values.length} values for shape [${dims.join(',')}]`);
  }
  if (traits.bits < 8) {
    unpackSubByte(type, Uint8Array.from(values as number[]), data as Uint8Array, count);
  } else if (traits.big) {
    const d = data as BigInt64Array;
    for (let i = 0; i < count; i++) d[i] = BigInt(values[i]);
  } else {
    const d = data as Float32Array;
    for (let i = 0; i < count; i++) d[i] = Number(values[i]);
  }
  return new Tensor(type, data as never, dims);
}

/** A TensorProto object (for protobufjs encoding) holding `t` as raw_data. */
export function tensorToProto(t: Tensor, name?: string): TensorProtoObject {
  const p: TensorProtoObject = { dims: [...t.dims], data_type: onnxCode(t.type) };
  if (name !== undefined) p.name = name;
  if (t.type === 'string') p.string_data = (t.data as string[]).map((s) => new TextEncoder().encode(s));
  else p.raw_data = rawBytesOf(t);
  return p;
}

/** Serializes a tensor as TensorProto bytes. */
export function encodeTensorProtoBytes(t: Tensor, name?: string): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject(tensorToProto(t, name))).finish();
}
