/**
 * Data types: one traits table, the single place that knows element sizes, typed-array classes,
 * ONNX enum codes and OnnxStream names (the ggml `type_traits` idea).
 */

/** Element types a tensor can hold. Names follow onnxruntime-common where it has one. */
export type DataType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'float8e8m0'
  | 'float4e2m1'
  | 'uint4'
  | 'int4'
  | 'uint2'
  | 'int2';

/** The typed array (or string array) that backs each data type in memory. */
export interface DataTypeMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: string[];
  float8e4m3fn: Uint8Array;
  float8e4m3fnuz: Uint8Array;
  float8e5m2: Uint8Array;
  float8e5m2fnuz: Uint8Array;
  float8e8m0: Uint8Array;
  float4e2m1: Uint8Array;
  uint4: Uint8Array;
  int4: Int8Array;
  uint2: Uint8Array;
  int2: Int8Array;
}

export type TensorData = DataTypeMap[DataType];
export type NumericTypedArray = Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;

type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface DataTypeTraits {
  readonly name: DataType;
  /** ONNX TensorProto.DataType code. */
  readonly onnx: number;
  /** Bytes per element in memory (sub-byte types are kept unpacked, one per byte). */
  readonly bytes: number;
  /** Bits per element in ONNX raw_data (4 and 2 for packed types). */
  readonly bits: number;
  readonly array: TypedArrayCtor | null;
  readonly kind: 'float' | 'int' | 'uint' | 'bool' | 'string';
  /** Values are bigint (int64/uint64). */
  readonly big: boolean;
}

const T = (
  name: DataType,
  onnx: number,
  bytes: number,
  bits: number,
  array: TypedArrayCtor | null,
  kind: DataTypeTraits['kind'],
): DataTypeTraits => ({ name, onnx, bytes, bits, array, kind, big: name === 'int64' || name === 'uint64' });

export const DTYPES: Readonly<Record<DataType, DataTypeTraits>> = {
  float32: T('float32', 1, 4, 32, Float32Array, 'float'),
  uint8: T('uint8', 2, 1, 8, Uint8Array, 'uint'),
  int8: T('int8', 3, 1, 8, Int8Array, 'int'),
  uint16: T('uint16', 4, 2, 16, Uint16Array, 'uint'),
  int16: T('int16', 5, 2, 16, Int16Array, 'int'),
  int32: T('int32', 6, 4, 32, Int32Array, 'int'),
  int64: T('int64', 7, 8, 64, BigInt64Array, 'int'),
  string: T('string', 8, 0, 0, null, 'string'),
  bool: T('bool', 9, 1, 8, Uint8Array, 'bool'),
  float16: T('float16', 10, 2, 16, Uint16Array, 'float'),
  float64: T('float64', 11, 8, 64, Float64Array, 'float'),
  uint32: T('uint32', 12, 4, 32, Uint32Array, 'uint'),
  uint64: T('uint64', 13, 8, 64, BigUint64Array, 'uint'),
  bfloat16: T('bfloat16', 16, 2, 16, Uint16Array, 'float'),
  float8e4m3fn: T('float8e4m3fn', 17, 1, 8, Uint8Array, 'float'),
  float8e4m3fnuz: T('float8e4m3fnuz', 18, 1, 8, Uint8Array, 'float'),
  float8e5m2: T('float8e5m2', 19, 1, 8, Uint8Array, 'float'),
  float8e5m2fnuz: T('float8e5m2fnuz', 20, 1, 8, Uint8Array, 'float'),
  uint4: T('uint4', 21, 1, 4, Uint8Array, 'uint'),
  int4: T('int4', 22, 1, 4, Int8Array, 'int'),
  float4e2m1: T('float4e2m1', 23, 1, 4, Uint8Array, 'float'),
  float8e8m0: T('float8e8m0', 24, 1, 8, Uint8Array, 'float'),
  uint2: T('uint2', 25, 1, 2, Uint8Array, 'uint'),
  int2: T('int2', 26, 1, 2, Int8Array, 'int'),
};

const BY_ONNX = new Map<number, DataType>(Object.values(DTYPES).map((t) => [t.onnx, t.name]));

export function isDataType(name: string): name is DataType {
  return Object.hasOwn(DTYPES, name);
}

/** Maps an ONNX TensorProto.DataType code to our name; throws for complex and unknown codes. */
export function dataTypeFromOnnx(code: number): DataType {
  const t = BY_ONNX.get(code);
  if (!t)
    throw new Error(`unsupported ONNX data type ${code}${code === 14 || code === 15 ? ' (complex)' : ''}`);
  return t;
}

export function onnxCode(type: DataType): number {
  return DTYPES[type].onnx;
}

/** True for float32/float64/float16/bfloat16 and the 8/4-bit float formats. */
export function isFloat(type: DataType): boolean {
  return DTYPES[type].kind === 'float';
}

/** True for int64 and uint64, whose values are bigint. */
export function isBig(type: DataType): boolean {
  return DTYPES[type].big;
}

/** Allocates a zero-filled array for `count` elements of `type`. */
export function allocData<D extends DataType>(type: D, count: number): DataTypeMap[D] {
  if (type === 'string') return new Array<string>(count).fill('') as DataTypeMap[D];
  const ctor = DTYPES[type].array!;
  return new ctor(count) as DataTypeMap[D];
}

/** Views `bytes` (which must be aligned for the type) as the type's typed array, without a copy. */
export function viewData<D extends DataType>(
  type: D,
  buffer: ArrayBufferLike,
  byteOffset: number,
  count: number,
) {
  if (type === 'string') throw new Error('string tensors have no binary view');
  const ctor = DTYPES[type].array!;
  return new ctor(buffer as ArrayBuffer, byteOffset, count) as DataTypeMap[D];
}

/** The data type a typed array implies (as onnxruntime's `new Tensor(data, dims)` does). */
export function dataTypeOfArray(data: unknown): DataType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  if (data instanceof Uint8ClampedArray) return 'uint8';
  if (Array.isArray(data) && data.every((v) => typeof v === 'string')) return 'string';
  throw new TypeError('cannot infer a tensor type from this data; pass the type explicitly');
}
