/**
 * ONNX TensorProto <-> Tensor, for tensors whose data sits inline in the message (constants,
 * attribute tensors, test vectors). Weights with raw_data in big files go through the model reader,
 * which records offsets instead.
 */
import { allocData, type DataType, DTYPES, dataTypeFromOnnx, onnxCode } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
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

/** Interprets little-endian raw bytes (any alignment) as `count` elements of `type`. */
export function tensorFromRaw(type: DataType, dims: readonly number[], raw: Uint8Array): Tensor {
  const count = shapeSize(dims);
  const traits = DTYPES[type];
  const data = allocData(type, count);
  if (traits.bits < 8) {
    const need = Math.ceil((count * traits.bits) / 8);
    if (raw.byteLength < need) throw new Error(`raw data has ${raw.byteLength} bytes, ${need} needed`);
    unpackSubByte(type, raw, data as Uint8Array, count);
  } else {
    const need = count * traits.bytes;
    if (raw.byteLength < need) throw new Error(`raw data has ${raw.byteLength} bytes, ${need} needed`);
    new Uint8Array((data as Uint8Array).buffer).set(raw.subarray(0, need));
  }
  return new Tensor(type, data as never, dims);
}

/** Expands packed 4-bit or 2-bit elements (low bits first) to one element per byte, sign-extending signed types. */
export function unpackSubByte(
  type: DataType,
  packed: Uint8Array,
  out: Uint8Array | Int8Array,
  count: number,
): void {
  const bits = DTYPES[type].bits;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const signed = type === 'int4' || type === 'int2';
  for (let i = 0; i < count; i++) {
    let v = (packed[Math.floor(i / perByte)] >> ((i % perByte) * bits)) & mask;
    if (signed && v & (1 << (bits - 1))) v -= 1 << bits;
    out[i] = v;
  }
}

/** Packs one-element-per-byte 4/2-bit data into ONNX's packed layout. */
export function packSubByte(type: DataType, data: ArrayLike<number>): Uint8Array {
  const bits = DTYPES[type].bits;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(data.length / perByte));
  for (let i = 0; i < data.length; i++)
    out[Math.floor(i / perByte)] |= (data[i] & mask) << ((i % perByte) * bits);
  return out;
}

/** The little-endian raw bytes of a tensor as ONNX stores them (sub-byte types packed). */
export function rawBytesOf(t: Tensor): Uint8Array {
  if (t.type === 'string') throw new Error('string tensors have no raw bytes');
  const d = t.data as Uint8Array;
  if (DTYPES[t.type].bits < 8) return packSubByte(t.type, d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
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
