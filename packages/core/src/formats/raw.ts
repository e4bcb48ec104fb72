/**
 * Raw little-endian tensor bytes as ONNX and OnnxStream store them (sub-byte types packed, low bits
 * first). No protobuf here: weight files and raw_data payloads both go through these.
 */
import { allocData, type DataType, DTYPES } from '../tensor/dtype.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

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
